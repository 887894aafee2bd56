// Seeded, deterministic fault injection between an adapter and its loopback fake.
// - FaultProxy: a 127.0.0.1 HTTP proxy in front of a fake (Telegram Bot API, Lark Open Platform).
//   Matching calls (e.g. only message sends) fail at a seeded rate with a platform-shaped rate limit,
//   a server error, a hang (never forwarded, never answered), or a lost answer (forwarded, the
//   platform acted, the answer never comes back). Everything else passes straight through, long polls
//   included.
// - injectWechatFaults: the same dice on WechatMock's puppet send, with the errors wechat4u throws.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { seeded } from '../../scripts/bench/workload.ts';
import { wechat4uFrequencyError, type WechatMock } from '../fakes/wechat-mock.ts';

export type FaultKind = 'rate-limit' | 'server-error' | 'hang' | 'lost';

export interface FaultPlan {
  seed: number;
  /** Share of matching calls that fail, 0..1. */
  rate: number;
  /** What a failing call does, picked uniformly. */
  kinds: FaultKind[];
  /**
   * A fault of this kind makes the next call fail too, with the given kind (a platform having a bad
   * moment). E.g. { lost: 'server-error' }: the in-adapter retry of a lost answer fails as well, so the
   * outbox retries it later, in a new send() call, where only the idempotency key can prevent a repeat.
   */
  followedBy?: Partial<Record<FaultKind, FaultKind>>;
}

/**
 * The n-th roll always gives the same answer for the same plan. Calls are dealt in blocks of 10 with
 * exactly round(rate·10) faults each, shuffled, so the share is the plan's on every platform, not just
 * on average (a plain coin at 30% gives anywhere from 13% to 46% over 20–40 calls).
 */
export class FaultDice {
  private readonly random: () => number;
  private block: (FaultKind | undefined)[] = [];
  constructor(private readonly plan: FaultPlan) {
    this.random = seeded(plan.seed);
  }
  private forced: FaultKind | undefined;
  roll(): FaultKind | undefined {
    const forced = this.forced;
    this.forced = undefined;
    if (forced) return forced;
    if (!this.block.length) this.block = this.deal();
    const kind = this.block.shift();
    if (kind) this.forced = this.plan.followedBy?.[kind];
    return kind;
  }
  private deal(): (FaultKind | undefined)[] {
    const size = 10;
    const faults = Math.round(this.plan.rate * size);
    const block = Array.from({ length: size }, (_, i) => (i < faults ? this.plan.kinds[Math.floor(this.random() * this.plan.kinds.length)] : undefined));
    for (let i = size - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [block[i], block[j]] = [block[j], block[i]];
    }
    return block;
  }
}

export interface FaultRecord {
  method: string;
  path: string;
  fault?: FaultKind;
  at: number;
}

export interface FaultProxyOptions {
  plan: FaultPlan;
  /** Which calls may fail (and are counted). Others pass through uncounted. */
  matches(method: string, path: string): boolean;
  /** The platform's answer for a rate limit or a server error. */
  answer(kind: 'rate-limit' | 'server-error'): { status: number; headers?: Record<string, string>; body: unknown };
}

export class FaultProxy {
  /** Every matching call, in arrival order, with the fault it got (if any). */
  readonly calls: FaultRecord[] = [];
  private readonly dice: FaultDice;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private target = '';

  constructor(private readonly opts: FaultProxyOptions) {
    this.dice = new FaultDice(opts.plan);
  }

  get failed(): number {
    return this.calls.filter((c) => c.fault).length;
  }

  /** Listens on 127.0.0.1 in front of `target` (the fake's base URL); resolves with the URL to give the adapter. */
  async start(target: string): Promise<string> {
    this.target = target.replace(/\/+$/, '');
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let fault: FaultKind | undefined;
    if (this.opts.matches(method, path)) {
      fault = this.dice.roll();
      this.calls.push({ method, path, at: Date.now(), ...(fault ? { fault } : {}) });
    }
    if (fault === 'rate-limit' || fault === 'server-error') {
      const a = this.opts.answer(fault);
      const json = JSON.stringify(a.body);
      res.writeHead(a.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), ...a.headers }).end(json);
      return;
    }
    if (fault === 'hang') return; // the client's timeout (or stop) ends it
    const upstream = httpRequest(`${this.target}${req.url ?? '/'}`, { method, headers: { ...req.headers, host: new URL(this.target).host } }, (up) => {
      if (fault === 'lost') {
        up.resume(); // the platform did it; the answer is lost on the way back
        return;
      }
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy()); // the client gave up (timeout) or the proxy stopped
    upstream.end(body);
  }
}

/** Rate limits and server errors as the Telegram Bot API sends them. */
export function telegramAnswer(kind: 'rate-limit' | 'server-error') {
  return kind === 'rate-limit'
    ? { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } } }
    : { status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } };
}

/** Rate limits (code 99991400 with x-ogw-ratelimit-reset) and server errors as the Lark gateway sends them. */
export function larkAnswer(kind: 'rate-limit' | 'server-error') {
  return kind === 'rate-limit'
    ? { status: 429, headers: { 'x-ogw-ratelimit-limit': '50', 'x-ogw-ratelimit-reset': '1' }, body: { code: 99991400, msg: 'request trigger frequency limit' } }
    : { status: 500, body: { code: 1, msg: 'internal error' } };
}

/**
 * Seeded faults on the mock puppet's text send, shaped as wechat4u throws them:
 * rate-limit → AssertionError Ret 1205 with Retry-After 1 s; server-error → an axios 502;
 * hang → an axios timeout after `hangMs` (in production wechat4u's own axios timeout, 60 s,
 * wechat4u/lib/util/request.js, ends a hung call). 'lost' is not offered: WeChat has no
 * idempotency key, so a send whose answer is lost is indistinguishable from a failure and is repeated.
 */
export function injectWechatFaults(wx: WechatMock, plan: FaultPlan, opts: { hangMs?: number } = {}): { calls: FaultRecord[]; readonly failed: number } {
  const dice = new FaultDice(plan);
  const calls: FaultRecord[] = [];
  const send = wx.puppet.messageSendText.bind(wx.puppet) as (...a: unknown[]) => Promise<void>;
  wx.puppet.messageSendText = async (conversationId: string, text: string, ...rest: unknown[]): Promise<void> => {
    const fault = dice.roll();
    calls.push({ method: 'messageSendText', path: conversationId, at: Date.now(), ...(fault ? { fault } : {}) });
    if (fault === 'rate-limit') throw wechat4uFrequencyError(1);
    if (fault === 'server-error') {
      throw Object.assign(new Error('Request failed with status code 502'), { name: 'AxiosError', code: 'ERR_BAD_RESPONSE', response: { status: 502, headers: {}, data: '' } });
    }
    if (fault === 'hang' || fault === 'lost') {
      await new Promise((r) => setTimeout(r, opts.hangMs ?? 300));
      throw Object.assign(new Error('timeout of 60000ms exceeded'), { name: 'AxiosError', code: 'ECONNABORTED' });
    }
    return send(conversationId, text, ...rest);
  };
  return {
    calls,
    get failed() {
      return calls.filter((c) => c.fault).length;
    },
  };
}
