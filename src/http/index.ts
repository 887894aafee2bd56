// The one HTTP server of the relay (Fastify): the console pages and their JSON API, /healthz, /metrics,
// and the place where tracked links and the Lark webhook are mounted by their owners (deps.extraRoutes).
// Plugins do the HTTP work: helmet (headers, CSP), cookie (signed cookies), csrf-protection, rate-limit
// (login attempts), formbody, static (assets; path traversal is refused by @fastify/send).
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { TELEGRAM_FRAME_STYLE } from '../console/pages/preview.ts';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ConsoleService } from '../console/service.ts';
import { ConsoleTracker } from '../console/tracker.ts';
import { RulesFile } from '../console/rules-file.ts';
import { projectPath } from '../paths.ts';
import { AuditLog } from './audit.ts';
import type { ConsoleDeps, ServerOptions } from './deps.ts';
import { createMetrics } from './metrics.ts';
import { registerApi } from './routes-api.ts';
import { registerAlumniPages } from './routes-alumni.ts';
import { registerFeedbackPages } from './routes-feedback-pages.ts';
import { registerPages } from './routes-pages.ts';
import { registerSystem } from './routes-system.ts';
import { Sessions, type Session } from './sessions.ts';
import { join } from 'node:path';

export type { ConsoleDeps, ServerOptions } from './deps.ts';

export const SESSION_COOKIE = 'relay_session';

declare module 'fastify' {
  interface FastifyRequest {
    session?: Session;
  }
}

/** Everything the routes share. */
export interface Ctx {
  deps: ConsoleDeps;
  opts: Required<Pick<ServerOptions, 'downAfterMs' | 'loginPerMinute' | 'metricsPublic'>> & ServerOptions;
  sessions: Sessions;
  audit: AuditLog;
  tracker: ConsoleTracker;
  service: ConsoleService;
  rulesFile: RulesFile;
  metrics: ReturnType<typeof createMetrics>;
  secureCookies: boolean;
  /** Who is acting, for the audit log. */
  who(req: FastifyRequest): string;
}

/** Paths readable without a session. */
function isPublic(url: string, metricsPublic: boolean): boolean {
  const path = url.split('?')[0]!;
  return (
    path === '/healthz' ||
    (metricsPublic && path === '/metrics') ||
    path === '/login' ||
    path.startsWith('/login/once/') ||
    path === '/favicon.ico' ||
    path.startsWith('/assets/') ||
    path.startsWith('/vendor/') ||
    path.startsWith('/r/') ||
    path.startsWith('/lark/')
  );
}

export interface BuiltServer {
  app: FastifyInstance;
  ctx: Ctx;
  /** Closes the server and stops the console's background work. */
  close(): Promise<void>;
}

/** `startTracker: false` leaves the console's background work to the caller (startHttpServer starts it once listening). */
export async function buildServer(deps: ConsoleDeps, options: ServerOptions & { startTracker?: boolean } = {}): Promise<BuiltServer> {
  const opts = { downAfterMs: 5 * 60_000, loginPerMinute: 5, metricsPublic: false, ...options };
  const app = Fastify({ logger: false, bodyLimit: 2 * 1024 * 1024, trustProxy: false, schemaController: { compilersFactory: lazySchemaCompilers } });
  let metricsRef: ReturnType<typeof createMetrics> | undefined;
  const tracker = new ConsoleTracker(
    { store: deps.store, timeZone: () => deps.rules().defaults.timezone, now: () => deps.now(), dataDir: deps.dataDir, logger: deps.logger },
    { delivered: (s) => metricsRef?.observeSend(s), digest: (n) => metricsRef?.observeDigest(n) },
  );
  const metrics = createMetrics(deps.store, () => tracker, () => deps.rules().colleges.map((c) => c.id));
  metricsRef = metrics;
  const ctx: Ctx = {
    deps,
    opts,
    sessions: new Sessions(opts.sessionIdleMs ?? 12 * 3600_000),
    audit: new AuditLog(join(deps.dataDir, 'console', 'audit.jsonl'), () => deps.now()),
    tracker,
    service: new ConsoleService(deps, () => tracker),
    rulesFile: new RulesFile(deps.rulesFile, deps.dataDir, deps.catalog, () => deps.now()),
    metrics,
    secureCookies: opts.secureCookies ?? false,
    who: (req) => req.session?.who ?? 'anonymous',
  };

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // The Telegram preview frame's fixed style (srcdoc frames inherit this policy) by its hash.
        styleSrc: ["'self'", `'sha256-${createHash('sha256').update(TELEGRAM_FRAME_STYLE).digest('base64')}'`],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        // Served over plain HTTP on loopback by default: no forced upgrade of its own requests.
        upgradeInsecureRequests: null,
      },
    },
    // The console is not embedded anywhere and loads nothing cross-origin.
    crossOriginEmbedderPolicy: false,
  });
  await app.register(fastifyCookie, { secret: randomBytes(32).toString('base64url') });
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'strict', path: '/', secure: ctx.secureCookies },
  });
  await app.register(fastifyFormbody);
  await app.register(fastifyRateLimit, { global: false });
  await app.register(fastifyStatic, { root: projectPath('src', 'console', 'assets'), prefix: '/assets/', index: false, maxAge: '1h' });
  await app.register(fastifyStatic, {
    root: projectPath('node_modules', 'echarts', 'dist'),
    prefix: '/vendor/',
    decorateReply: false,
    index: false,
    maxAge: '1d',
    allowedPath: (path) => path === '/echarts.min.js',
  });

  // Session first, then access: pages redirect to the login form, the API answers 401.
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const raw = req.cookies[SESSION_COOKIE];
    const unsigned = raw ? req.unsignCookie(raw) : undefined;
    req.session = unsigned?.valid && unsigned.value ? ctx.sessions.touch(unsigned.value) : undefined;
    if (req.session || isPublic(req.url, opts.metricsPublic)) return;
    if (req.url.startsWith('/api/') || req.url === '/metrics' || req.method !== 'GET') {
      return reply.code(401).send({ error: 'unauthorized', message: '请先登录' });
    }
    return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`);
  });
  // Every change carries the CSRF token (header x-csrf-token, or _csrf in a form): else 403.
  app.addHook('preHandler', (req, reply, done) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.url.startsWith('/lark/')) return done();
    app.csrfProtection(req, reply, done);
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const code = err.statusCode ?? 500;
    if (code >= 500) deps.logger.error({ err, url: req.url }, 'console: request failed');
    const message = code === 403 ? '缺少或无效的 CSRF 令牌，请刷新页面后重试' : code === 429 ? '尝试次数过多，请稍后再试' : code >= 500 ? '服务器内部错误' : err.message;
    reply.code(code).send({ error: err.code ?? 'error', message });
  });
  app.get('/favicon.ico', (_req, reply) => reply.redirect('/assets/icon.svg', 301));
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not_found', message: '页面不存在' }));

  registerSystem(app, ctx);
  registerApi(app, ctx);
  registerPages(app, ctx);
  registerFeedbackPages(app, ctx);
  registerAlumniPages(app, ctx);
  if (deps.extraRoutes) await deps.extraRoutes(app);

  const unsubscribe = deps.onPostChange?.((p) => tracker.track(p));
  if (options.startTracker !== false) tracker.start(opts.syncIntervalMs ?? 2000);
  await app.ready();
  return {
    app,
    ctx,
    async close() {
      unsubscribe?.();
      tracker.stop();
      await app.close();
    },
  };
}

type CompilerSelector = () => (...args: unknown[]) => unknown;
/** Fastify's own dependencies, resolved from fastify's folder as fastify resolves them. */
const fromFastify = (id: string) => createRequire(createRequire(import.meta.url).resolve('fastify'))(id) as CompilerSelector;
/**
 * Fastify requires ajv and fast-json-stringify (≈ 0.18 s of module loading at start, 2026-12-01 profile)
 * for route schemas when the server is created; no console route declares one (handlers check their
 * input). These factories load the same compilers only if a route ever does
 * (https://fastify.dev/docs/latest/Reference/Server/#schemacontroller).
 */
export const lazySchemaCompilers = {
  buildValidator: (...args: unknown[]) => fromFastify('@fastify/ajv-compiler')()(...args),
  buildSerializer: (...args: unknown[]) => fromFastify('@fastify/fast-json-stringify-compiler')()(...args),
} as never;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export interface StartedServer extends BuiltServer {
  url: string;
  /** Set when no admin password is configured: open it once to sign in. */
  loginUrl?: string;
}

/**
 * Builds and listens. Without an admin password the server refuses any address but loopback, and prints
 * (through `announce`, default the logger) a one-time login URL with a random token.
 */
export async function startHttpServer(
  deps: ConsoleDeps,
  opts: ServerOptions & { port?: number; host?: string; announce?: (line: string) => void } = {},
): Promise<StartedServer> {
  let host = opts.host ?? '127.0.0.1';
  if (!opts.adminPassword && !LOOPBACK.has(host)) {
    deps.logger.warn({ host }, 'RELAY_ADMIN_PASSWORD is not set: the console listens on 127.0.0.1 only');
    host = '127.0.0.1';
  }
  const built = await buildServer(deps, { ...opts, startTracker: false });
  const address = await built.app.listen({ port: opts.port ?? 8080, host });
  // The console's first reconcile and its pass over the archived months start once the relay listens:
  // a restart listens sooner, and no page can be asked for earlier.
  setImmediate(() => built.ctx.tracker.start(opts.syncIntervalMs ?? 2000));
  const url = address.replace('[::1]', 'localhost');
  let loginUrl: string | undefined;
  if (!opts.adminPassword) {
    loginUrl = `${url}/login/once/${built.ctx.sessions.issueLoginToken()}`;
    const line = `控制台 / console: open ${loginUrl} (one-time login link; set RELAY_ADMIN_PASSWORD for a login form)`;
    // Printed, not logged: the token is a credential and log files outlive it.
    (opts.announce ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  } else deps.logger.info({ url }, 'console listening');
  return { ...built, url, loginUrl };
}
