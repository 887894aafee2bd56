# alumni-relay in a container. Two stages: `build` compiles nodejieba (native, needs python3/make/g++) and
# dist/ with `npm ci`, exactly as the README's install; the runtime image has no compiler and no dev packages.
#
#   docker build -t alumni-relay .
#   docker run -d --env-file .env -v relay-data:/app/data -v "$PWD/rules:/app/rules:ro" alumni-relay
#
# Layout in the image: the program, read-only, in /opt/alumni-relay (with the catalog and sample messages in
# its data/); the store in /app/data (RELAY_DATA_DIR, a volume); the rules in /app/rules (RELAY_RULES; the
# shipped example until you mount your own). The store is not under the program's data/ so that mounting a
# volume never hides the catalog.
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# .npmrc: yes=true lets nodejieba's install script run `npx @mapbox/node-pre-gyp` without a prompt.
COPY package.json package-lock.json .npmrc tsconfig.json ./
COPY scripts/build.mjs scripts/build.mjs
COPY src src
COPY adapters adapters
# npm ci builds dist/ through `prepare`; then the dev packages go.
RUN npm ci && npm prune --omit=dev

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    RELAY_DATA_DIR=/app/data \
    RELAY_RULES=/app/rules/routing.yaml \
    RELAY_HTTP_PORT=8080
WORKDIR /opt/alumni-relay
COPY --from=build /build/node_modules node_modules
COPY --from=build /build/dist dist
COPY package.json ./
COPY bin bin
COPY data/major-catalog-2026.json data/
COPY data/samples data/samples
COPY src/console/assets src/console/assets
COPY src/media/ocr-child.mjs src/media/ocr-child.mjs
COPY rules/routing.yaml rules/routing.schema.json rules/README.md /app/rules/
# As root, once: check the shipped rules and warm the segmenter's dictionary cache in data/cache (the
# program folder is read-only to the relay's user afterwards, which would otherwise rebuild it in /tmp).
RUN mkdir -p /app/data \
 && chown node:node /app/data \
 && node bin/alumni-relay.js rules check \
 && node bin/alumni-relay.js classify "预热分词词典" > /dev/null
USER node
VOLUME /app/data
# The console and GET /healthz (RELAY_HTTP_PORT); 8787 only for Lark in webhook mode (LARK_WEBHOOK_PORT).
EXPOSE 8080
# `health` asks GET /healthz on RELAY_HTTP_PORT and, where no HTTP server answers, whether the process
# holding the data directory's lock is alive.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["node", "/opt/alumni-relay/bin/alumni-relay.js", "health"]
# node is PID 1 here: the relay handles SIGTERM (docker stop) itself and stops cleanly. The node flags are
# those of bin/alumni-relay.js's first line (see the comment there): 2 MB semi-spaces, no pretenuring, a full GC after 15% heap growth.
ENTRYPOINT ["node", "--max-semi-space-size=2", "--no-allocation-site-pretenuring", "--heap-growing-percent=15", "/opt/alumni-relay/bin/alumni-relay.js"]
CMD ["start"]
