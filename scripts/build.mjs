// node scripts/build.mjs: compiles the relay (src/cli.ts and everything it imports) into one ES module,
// dist/cli.js, which `npm start`, `npm run cli` and bin/alumni-relay.js run with plain node.
// WHY: running the TypeScript through tsx keeps a loader thread with its own V8 heap alive for the whole
// process: measured on the bench machine, the relay over an empty store needs ≈ 196 MB RSS under tsx and
// ≈ 166 MB compiled, and reaches "listening" ≈ 0.3 s sooner. Dependencies stay in node_modules (nodejieba
// is native), but for two SDKs folded into their adapters' lazy chunks: the Lark SDK (larkSdkInline) and
// the WeChat stack (wechatyInline). Plain JavaScript so that it runs before anything is compiled. Takes 2–5 s.
//
// Built once at install (`npm ci` runs `prepare`). `npm start` / `npm run cli` run it with --if-stale: a few
// hundred stat() calls, and a rebuild only when dist/ is missing or older than a source and the folder is
// writable. A read-only install (a container image, a package owned by root) starts from the build it has.
import { accessSync, constants, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** esbuild's options; what stays in node_modules is decided by the plugins below (buildDist). */
const bundleOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Dependencies stay in node_modules (resolved as installed) but for the WeChat stack: see wechatyInline.
  // The platform SDKs are imported on demand (adapters/index.ts); splitting keeps each in its own chunk,
  // loaded only when that platform is configured, instead of hoisting them all into dist/cli.js.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true, // stack traces point at src/… when run with NODE_OPTIONS=--enable-source-maps (npm start leaves it off: bin/alumni-relay.js says why)
  // Without the sources inside: a trace needs only file, line and column. With --enable-source-maps node
  // keeps every loaded module's map in memory, and sourcesContent (with Chinese text, so stored two bytes a
  // character) was ≈ 3 MB of the relay's heap (heap snapshot, all three SDKs, 2026-12).
  sourcesContent: false,
  logLevel: 'warning',
  // Bundled CommonJS (the Lark SDK below) calls require() for its dependencies and node's modules.
  // __relayRoot: the project folder (above dist/cli.js or dist/chunks/*.js), for bundled files that use
  // __dirname; not from the global URL, which a bundled module may declare anew (node ≥ 20.11: import.meta.dirname).
  banner: {
    js: "import { createRequire as __relayCreateRequire } from 'node:module'; const require = __relayCreateRequire(import.meta.url); const __relayRoot = require('node:path').join(import.meta.dirname, /[\\\\/]chunks$/.test(import.meta.dirname) ? '../..' : '..');",
  },
};

const LARK_SDK = '@larksuiteoapi/node-sdk';

/**
 * The Lark SDK ships one 6 MB unminified CommonJS file (lib/index.js). Loaded from node_modules it keeps
 * that source in the heap; here it is minified into the Lark adapter's lazy chunk (its own dependencies
 * stay in node_modules). Its one file read, its package.json for the user agent, looks next to
 * `__dirname`, which points at the installed SDK's lib/ folder. Measured with all three SDKs over 100k
 * posts: see the commit that added this.
 */
const larkSdkInline = {
  name: 'lark-sdk-inline',
  setup(b) {
    const require = createRequire(import.meta.url);
    b.onResolve({ filter: /^@larksuiteoapi\/node-sdk$/ }, () => ({ path: require.resolve(LARK_SDK), namespace: 'file' }));
    b.onLoad({ filter: /[\\/]@larksuiteoapi[\\/]node-sdk[\\/]lib[\\/]index\.js$/ }, async (args) => {
      const { transform } = await import('esbuild');
      const dirname = `var __dirname = require('node:path').join(require('node:path').dirname(require.resolve('${LARK_SDK}/package.json')), 'lib');\n`;
      const { code } = await transform(readFileSync(args.path, 'utf8'), { minify: true, loader: 'js', format: 'cjs', platform: 'node', target: 'node20' });
      return { contents: dirname + code, loader: 'js' };
    });
  },
};

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const entry = join(dist, 'cli.js');
/** What the bundle is made from (the lock file: the SDKs bundled in): a change to any of these makes dist/ stale. */
const SOURCES = ['src', 'adapters', 'scripts/build.mjs', 'package-lock.json'];

/** Newest modification time (ms) under `path`; 0 when it does not exist. */
export function newestMtime(path) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs; // a deleted file shows as the directory's change
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** 'fresh' | 'stale' | 'missing': whether dist/cli.js is at least as new as every source. */
export function buildState(projectRoot = root) {
  const built = newestMtime(join(projectRoot, 'dist', 'cli.js'));
  if (!built) return 'missing';
  const sources = Math.max(...SOURCES.map((s) => newestMtime(join(projectRoot, s))));
  return sources > built ? 'stale' : 'fresh';
}

function writable(path) {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Builds into dist/ and removes chunks of earlier builds that this one no longer references. */
export async function buildDist() {
  const { build } = await import('esbuild');
  const result = await build({ ...bundleOptions, plugins: [larkSdkInline, wechatyInline], entryPoints: { cli: join(root, 'src', 'cli.ts') }, outdir: dist, metafile: true });
  // The chunk holding the SDK ships without a source map: with --enable-source-maps node would load its
  // map (the SDK's whole source in it, ≈ 30 MB in memory) for every stack trace's sake.
  for (const [file, out] of Object.entries(result.metafile.outputs)) {
    if (!file.endsWith('.js') || !Object.keys(out.inputs).some((i) => i.includes('node_modules/@larksuiteoapi/node-sdk/'))) continue;
    const path = join(root, file);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
    rmSync(`${path}.map`, { force: true });
    delete result.metafile.outputs[`${file}.map`];
  }
  for (const file of Object.keys(result.metafile.outputs)) if (file.endsWith('.js')) asciiComments(join(root, file));
  const outputs = new Set(Object.keys(result.metafile.outputs).map((f) => join(root, f)));
  const chunks = join(dist, 'chunks');
  if (existsSync(chunks)) for (const f of readdirSync(chunks)) if (!outputs.has(join(chunks, f))) rmSync(join(chunks, f), { force: true });
}

/**
 * Non-ASCII characters on comment lines as \u escapes. V8 keeps a module's source text for lazy
 * compilation, one byte a character when it is all Latin-1 and two bytes otherwise; esbuild escapes
 * strings (charset ascii, its default) but cannot escape comments, so five characters in our Lark
 * adapter's comments (— →) made the Lark chunk's 2 MB of source 4 MB of heap. Only whole comment lines
 * are touched (a line starting with //, /* or a JSDoc *), where an escape means nothing; regular
 * expressions and String.raw templates keep their characters (those files stay two-byte, they are small).
 */
function asciiComments(file) {
  const text = readFileSync(file, 'utf8');
  if (!/[^\x00-\x7f]/.test(text)) return;
  const out = text
    .split('\n')
    .map((line) => (/^\s*(\/\/|\/\*|\*(\s|\/|$))/.test(line) ? line.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : line))
    .join('\n');
  if (out !== text) writeFileSync(file, out);
}

/** What our code imports of the WeChat stack: bundled, with all that it imports, into the WeChat adapter's chunk. */
const WECHAT_STACK = /^(wechaty|wechaty-puppet-wechat4u|file-box)(\/|$)/;
const inNodeModules = (path) => /[\\/]node_modules[\\/]/.test(path);

/**
 * wechaty and wechaty-puppet-wechat4u are ≈ 1,400 modules (rxjs, fp-ts, jimp, request, wechat4u…), and
 * node's module loader spent more time resolving, reading and lexing them (≈ 0.6 s of the ≈ 1.1 s their
 * import took on the bench machine) than running them. Bundled into the lazy WeChat chunks, both load in
 * 0.45–0.5 s instead of 0.9–0.96 s (2026-12-01, 4 runs each). Every other package stays in node_modules,
 * the Lark SDK's own dependencies too: bundling Fastify the same way did not make the console load faster,
 * and bundling grammY, yaml, zod, commander, node-cron, lowdb, dotenv and the Lark SDK's dependencies as
 * well made the start with all SDKs over 100k posts slower, 4.0–4.3 s against 2.9–3.1 s (5 and 4 runs).
 * wechaty checks puppets and file boxes by shape, not by module identity, and a puppet named in
 * WECHATY_PUPPET other than the default is still imported from node_modules by wechaty.
 */
const wechatyInline = {
  name: 'wechaty-inline',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'wechaty-inline') return undefined;
      if (inNodeModules(args.importer) ? args.importer.includes('@larksuiteoapi') : !WECHAT_STACK.test(args.path)) return { path: args.path, external: true };
      // Bundled, with node's own modules left to node. memory-card imports storage backends that are not
      // installed (aws-sdk, etcd3…) only when such a backend is configured: those stay imports, as before.
      const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'wechaty-inline' });
      return r.errors.length ? { path: args.path, external: true } : r;
    });
    // CommonJS in the stack that locates its files by __dirname (jimp's fonts): the folder it was
    // installed in, relative to the project root the banner finds at run time (the install can move).
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(text)) return undefined;
      const at = (p) => `require('node:path').join(__relayRoot, ${JSON.stringify(relative(root, p).split(sep).join('/'))})`;
      return { contents: `var __dirname = ${at(dirname(args.path))}, __filename = ${at(args.path)};\n${text}`, loader: 'js' };
    });
  },
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--if-stale')) {
    const state = buildState();
    if (state === 'fresh') process.exit(0);
    // dist/ itself when it exists, else the project folder it would be created in.
    if (!writable(existsSync(dist) ? dist : root)) {
      if (state === 'missing') {
        console.error(`alumni-relay: ${relative(process.cwd(), entry) || entry} 不存在，而且这个目录不可写：请在安装时构建（npm ci 或 npm run build）。`);
        process.exit(1);
      }
      console.error('alumni-relay: dist/ 比源码旧，但目录不可写；使用现有的构建。');
      process.exit(0);
    }
  }
  await buildDist();
}
