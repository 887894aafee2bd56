// Deployment files that cannot run here (no Docker daemon, no systemd as init) checked against the tree:
// what the Dockerfile copies exists and is not ignored, it runs the command package.json names, the store
// lives where the volume is; compose and the systemd unit agree; `systemd-analyze verify` where present.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** Dockerfile instructions, continuation lines joined, comments dropped; `stage` counts FROMs. */
function dockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  const joined = text.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, op, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (op!.toUpperCase() === 'FROM') stage++;
    out.push({ op: op!.toUpperCase(), args: args!.trim(), stage });
  }
  return out;
}

/** .dockerignore semantics enough for this file: globs with * (not across /), ! re-includes, last match wins. */
function ignored(path: string, patterns: string[]): boolean {
  let result = false;
  for (const p of patterns) {
    const negate = p.startsWith('!');
    const glob = negate ? p.slice(1) : p;
    const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
    if (re.test(path)) result = !negate;
  }
  return result;
}

const instructions = dockerfile(readFileSync('Dockerfile', 'utf8'));
const ignore = readFileSync('.dockerignore', 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const exec = (args: string) => JSON.parse(args) as string[];
const last = (op: string) => instructions.filter((i) => i.op === op).at(-1)!;
const runtime = Math.max(...instructions.map((i) => i.stage));
const envOf = (stage: number) =>
  Object.fromEntries(
    instructions
      .filter((i) => i.op === 'ENV' && i.stage === stage)
      .flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
  );

describe('Dockerfile', () => {
  it('copies only files that exist and that .dockerignore lets through', () => {
    const copies = instructions.filter((i) => i.op === 'COPY' && !i.args.includes('--from'));
    expect(copies.length).toBeGreaterThan(5);
    for (const c of copies) {
      const parts = c.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) {
        expect(existsSync(src), `COPY ${src}`).toBe(true);
        expect(ignored(src, ignore), `COPY ${src} is excluded by .dockerignore`).toBe(false);
      }
    }
    for (const secret of ['.env', 'data/relay.db.json', 'data/wechat', 'data/demo', 'node_modules', 'dist']) expect(ignored(secret, ignore), secret).toBe(true);
  });

  it('builds nodejieba and dist/ in the build stage, as npm ci does, and copies the results', () => {
    const apt = instructions.find((i) => i.stage === 0 && i.op === 'RUN' && i.args.includes('apt-get install'))!;
    for (const tool of ['python3', 'make', 'g++']) expect(apt.args.split(/\s+/)).toContain(tool);
    expect(instructions.some((i) => i.stage === 0 && i.op === 'RUN' && /\bnpm ci\b/.test(i.args))).toBe(true);
    expect(pkg.scripts.prepare).toBe('node scripts/build.mjs');
    const workdir = instructions.find((i) => i.stage === 0 && i.op === 'WORKDIR')!.args;
    const fromBuild = instructions.filter((i) => i.stage === runtime && i.op === 'COPY' && i.args.includes('--from=build'));
    expect(fromBuild.map((i) => i.args.split(/\s+/)[1])).toEqual([`${workdir}/node_modules`, `${workdir}/dist`]);
  });

  it('runs the command package.json names as a non-root user, the store in the volume, with a health check', () => {
    const workdir = instructions.filter((i) => i.stage === runtime && i.op === 'WORKDIR').at(-1)!.args;
    const [node, ...rest] = exec(last('ENTRYPOINT').args);
    const flags = rest.filter((a) => a.startsWith('--'));
    const script = rest.find((a) => !a.startsWith('--'));
    expect(node).toBe('node');
    // The same V8 flags as the bin's shebang line (memory: see the comment there), so both run alike.
    const shebang = readFileSync(pkg.bin['alumni-relay'], 'utf8').split('\n')[0]!;
    expect(shebang.split(/\s+/).filter((a) => a.startsWith('--'))).toEqual(flags);
    // …and as `npm start`, which the bench measures (scripts/bench/relay-process.ts reads them from there).
    expect(String(pkg.scripts.start).split(/\s+/).filter((a) => a.startsWith('--'))).toEqual(flags);
    expect(script).toBe(posix.join(workdir, pkg.bin['alumni-relay']));
    const commands = buildProgram().commands.map((c) => c.name());
    expect(commands).toContain(exec(last('CMD').args)[0]);
    const health = exec(last('HEALTHCHECK').args.replace(/^.*?CMD\s+/, ''));
    expect(health.slice(0, 2)).toEqual([node, script]);
    expect(commands).toContain(health[2]);
    expect(last('USER').args).not.toMatch(/^(root|0)$/);
    const env = envOf(runtime);
    expect(last('VOLUME').args).toBe(env.RELAY_DATA_DIR);
    // The volume must not hide the catalog the program reads from its own data/.
    expect(env.RELAY_DATA_DIR).not.toBe(posix.join(workdir, 'data'));
    expect(last('EXPOSE').args.split(/\s+/)).toContain(env.RELAY_HTTP_PORT);
  });
});

describe('compose.yaml', () => {
  it('mounts the store where the image keeps it, reads .env, restarts, and mounts rules that exist', () => {
    const compose = parse(readFileSync('compose.yaml', 'utf8'));
    const relay = compose.services.relay;
    const env = envOf(runtime);
    expect(relay.volumes).toContain(`relay-data:${env.RELAY_DATA_DIR}`);
    expect(relay.volumes).toContain(`./rules:${posix.dirname(env.RELAY_RULES ?? "")}:ro`);
    expect(existsSync('rules/routing.yaml')).toBe(true);
    expect(relay.env_file[0].path).toBe('.env');
    expect(relay.restart).toBe('unless-stopped');
    expect(compose.volumes).toHaveProperty('relay-data');
  });
});

describe('deploy/alumni-relay.service', () => {
  const unit = readFileSync('deploy/alumni-relay.service', 'utf8');
  const values = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);
  const one = (key: string) => values(key)[0];

  it('runs the build made at install as its own user, restarts on failure, and may write only its store', () => {
    expect(one('User')).toBe('alumni-relay');
    expect(one('EnvironmentFile')).toBe('/etc/alumni-relay/env');
    expect(one('Restart')).toBe('on-failure');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    const env = Object.fromEntries(values('Environment').flatMap((v) => v.split(/\s+/).map((kv) => kv.split('=') as [string, string])));
    expect(one('ReadWritePaths')).toBe(env.RELAY_DATA_DIR);
    expect(env.RELAY_DATA_DIR).toBe(`/var/lib/${one('StateDirectory')}`);
    const [nodeBin, ...args] = one('ExecStart')!.split(/\s+/);
    expect(nodeBin).toMatch(/\/node$/);
    const script = args.find((a) => a.endsWith('.js'))!;
    expect(script).toBe(posix.join(one('WorkingDirectory')!, 'dist/cli.js'));
    expect(args.filter((a) => a.startsWith('--'))).toEqual(String(pkg.scripts.start).split(/\s+/).filter((a) => a.startsWith('--')));
    expect(args.at(-1)).toBe('start');
  });

  it('is shown in the README’s Deploy section as it is', () => {
    const readme = readFileSync('README.md', 'utf8');
    const deploy = readme.slice(readme.indexOf('\n## Deploy'));
    expect(deploy).toContain(unit.slice(unit.indexOf('[Unit]')).trim());
  });

  it.runIf(spawnSync('systemd-analyze', ['--version']).status === 0)('passes systemd-analyze verify', () => {
    const r = spawnSync('systemd-analyze', ['verify', 'deploy/alumni-relay.service'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
