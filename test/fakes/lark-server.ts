// A loopback fake of the Feishu/Lark Open Platform, enough for the real @larksuiteoapi/node-sdk:
// tenant token, bot info, contact user lookup, message create (with uuid dedupe and injectable faults),
// and the long-connection endpoint plus a minimal WebSocket speaking the SDK's protobuf frames.
// Binds 127.0.0.1 on port 0 only. Reusable by adapter, end-to-end and fault tests.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// ───────────────────────────── event builders ─────────────────────────────

export interface FakeMention {
  key: string;
  openId: string;
  name: string;
}

export interface FakeMessageSpec {
  chatId: string;
  /** Default 'group'. */
  chatType?: string;
  senderOpenId: string;
  /** Default 'user'; the bot's own messages come as 'app'. */
  senderType?: string;
  /** Default 'text'. */
  messageType?: string;
  /** For text: the text (placeholders such as @_user_1 as Lark sends them). Ignored when `content` is given. */
  text?: string;
  /** The raw content object (or string, sent as is) for post/image/…. */
  content?: unknown;
  mentions?: FakeMention[];
  messageId?: string;
  eventId?: string;
  createTime?: number;
}

export interface LarkEventEnvelope {
  schema: '2.0';
  header: { event_id: string; event_type: string; create_time: string; token: string; app_id: string; tenant_key: string };
  event: unknown;
}

let seq = 0;
const nextId = (prefix: string) => `${prefix}${Date.now().toString(36)}${(seq++).toString(36).padStart(4, '0')}`;

/** An im.message.receive_v1 event in the v2 envelope Lark pushes. */
export function messageEvent(spec: FakeMessageSpec, app: { appId: string; verificationToken?: string }): LarkEventEnvelope {
  const createTime = spec.createTime ?? Date.now();
  const content =
    typeof spec.content === 'string' ? spec.content : JSON.stringify(spec.content !== undefined ? spec.content : { text: spec.text ?? '' });
  return {
    schema: '2.0',
    header: {
      event_id: spec.eventId ?? nextId('ev_'),
      event_type: 'im.message.receive_v1',
      create_time: String(createTime),
      token: app.verificationToken ?? '',
      app_id: app.appId,
      tenant_key: 'tenant-fake',
    },
    event: {
      sender: {
        sender_id: { open_id: spec.senderOpenId, union_id: `on_${spec.senderOpenId}`, user_id: spec.senderOpenId.slice(3) },
        sender_type: spec.senderType ?? 'user',
        tenant_key: 'tenant-fake',
      },
      message: {
        message_id: spec.messageId ?? nextId('om_'),
        create_time: String(createTime),
        update_time: String(createTime),
        chat_id: spec.chatId,
        chat_type: spec.chatType ?? 'group',
        message_type: spec.messageType ?? 'text',
        content,
        mentions: (spec.mentions ?? []).map((m) => ({
          key: m.key,
          id: { open_id: m.openId, union_id: `on_${m.openId}`, user_id: m.openId.slice(3) },
          name: m.name,
          tenant_key: 'tenant-fake',
        })),
        user_agent: 'fake',
      },
    },
  };
}

/** Lark's event encryption: AES-256-CBC, key sha256(encryptKey), random IV prepended, base64. */
export function encryptForLark(plain: string, encryptKey: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', createHash('sha256').update(encryptKey).digest(), iv);
  return Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}

export interface PostEventOptions {
  /** Encrypt the body as {"encrypt": …} (needs encryptKey). */
  encrypt?: boolean;
  /** Sign with X-Lark-Signature (default: when encryptKey is given). */
  sign?: boolean;
  encryptKey?: string;
  /** Send a wrong signature. */
  badSignature?: boolean;
  timeoutMs?: number;
}

/** POSTs an event (or challenge) to a webhook the way Lark does; resolves with the HTTP answer. */
export async function postEvent(url: string, payload: unknown, opts: PostEventOptions = {}): Promise<{ status: number; body: string }> {
  let body = JSON.stringify(payload);
  if (opts.encrypt) {
    if (!opts.encryptKey) throw new Error('encrypt needs encryptKey');
    body = JSON.stringify({ encrypt: encryptForLark(body, opts.encryptKey) });
  }
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (opts.sign ?? Boolean(opts.encryptKey)) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(8).toString('hex');
    let signature = createHash('sha256')
      .update(timestamp + nonce + (opts.encryptKey ?? '') + body)
      .digest('hex');
    if (opts.badSignature) signature = signature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    Object.assign(headers, { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': signature });
  }
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
  return { status: res.status, body: await res.text() };
}

// ───────────────────────────── faults ─────────────────────────────

export type FakeFault =
  /** code 99991400; HTTP 429 with x-ogw-ratelimit-reset by default (some APIs answer HTTP 400). */
  | { kind: 'rate-limit'; resetSeconds?: number; httpStatus?: number }
  | { kind: 'server-error'; status?: number }
  /** Never answers (until the client gives up or the server stops). */
  | { kind: 'hang' }
  /** Any other platform error, e.g. { status: 400, code: 230002, msg: 'bot not in chat' }. */
  | { kind: 'error'; status: number; code: number; msg?: string };

/** 'ws' is the WebSocket handshake itself: any fault queued for it refuses the upgrade with 403. */
export type FakeRoute = 'messages' | 'token' | 'bot-info' | 'contact' | 'ws-endpoint' | 'ws';

export interface SentLarkMessage {
  receiveId: string;
  receiveIdType: string;
  msgType: string;
  content: string;
  uuid?: string;
  messageId: string;
  /** Plain text of the content (text, or a post flattened). */
  text: string;
  /** Bytes of the JSON request body. */
  bodyBytes: number;
}

export interface FakeCall {
  method: string;
  path: string;
  route?: FakeRoute;
  at: number;
}

export interface FakeLarkServerOptions {
  appId?: string;
  appSecret?: string;
  botOpenId?: string;
  botName?: string;
  /** open_id → name for the contact API; others get HTTP 400 code 41050 (no authority). */
  users?: Record<string, string>;
  tokenExpireSeconds?: number;
}

export interface WebhookTarget {
  url: string;
  encryptKey?: string;
  verificationToken?: string;
  /** Encrypt pushed events (default: when encryptKey is set). */
  encrypt?: boolean;
}

// ───────────────────────────── the server ─────────────────────────────

export class FakeLarkServer {
  readonly appId: string;
  readonly appSecret: string;
  readonly botOpenId: string;
  readonly botName: string;
  readonly users = new Map<string, string>();
  readonly sent: SentLarkMessage[] = [];
  readonly calls: FakeCall[] = [];
  /** WS acks received, by the frame's message_id header: the JSON payload the SDK answered. */
  readonly wsAcks = new Map<string, unknown>();
  /** Called the moment a WS ack frame arrives (crash tests kill the client right there). */
  onWsAck: ((messageId: string, ack: unknown) => void) | undefined;
  private readonly tokens = new Set<string>();
  private readonly faults = new Map<FakeRoute, FakeFault[]>();
  private readonly byUuid = new Map<string, SentLarkMessage>();
  private readonly sockets = new Set<Socket>();
  private readonly wsConns = new Set<FakeWsConnection>();
  private readonly hung = new Set<ServerResponse>();
  private server: Server | undefined;
  private base = '';
  private webhook: WebhookTarget | undefined;
  private wsSeq = 0;

  constructor(private readonly opts: FakeLarkServerOptions = {}) {
    this.appId = opts.appId ?? 'cli_a1b2c3d4e5f60718';
    this.appSecret = opts.appSecret ?? 'fake-secret-0123456789';
    this.botOpenId = opts.botOpenId ?? 'ou_bot_alumni_relay';
    this.botName = opts.botName ?? '校友内推助手';
    for (const [id, name] of Object.entries(opts.users ?? {})) this.users.set(id, name);
  }

  get baseUrl(): string {
    return this.base;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(JSON.stringify({ code: 1, msg: String(e) }));
      });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('upgrade', (req, socket: Socket, head) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    for (const c of this.wsConns) c.destroy();
    this.wsConns.clear();
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ── faults and inspection ──

  /** The next `n` calls of `route` (default: message create) fail with `fault`. */
  failNext(n: number, fault: FakeFault, route: FakeRoute = 'messages'): void {
    const q = this.faults.get(route) ?? [];
    for (let i = 0; i < n; i++) q.push(fault);
    this.faults.set(route, q);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  sentTo(chatId: string): SentLarkMessage[] {
    return this.sent.filter((m) => m.receiveId === chatId);
  }

  sentTexts(chatId: string): string[] {
    return this.sentTo(chatId).map((m) => m.text);
  }

  callsTo(route: FakeRoute): FakeCall[] {
    return this.calls.filter((c) => c.route === route);
  }

  /** Revoke every tenant token issued so far (the next API call answers code 99991663). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  // ── incoming messages ──

  /** Where injectMessage POSTs events (webhook mode). Without it, events go over connected WebSockets. */
  deliverTo(target: WebhookTarget | undefined): void {
    this.webhook = target;
  }

  get wsConnections(): number {
    return this.wsConns.size;
  }

  /** Builds an im.message.receive_v1 event for this app. */
  event(spec: FakeMessageSpec): LarkEventEnvelope {
    const app: { appId: string; verificationToken?: string } = { appId: this.appId };
    if (this.webhook?.verificationToken) app.verificationToken = this.webhook.verificationToken;
    return messageEvent(spec, app);
  }

  /**
   * A message appears in a chat: pushed to the webhook (resolves with its HTTP answer) or over every
   * connected WebSocket (resolves with status 200 once the SDK acknowledged the frame).
   */
  async injectMessage(spec: FakeMessageSpec, opts: Omit<PostEventOptions, 'encryptKey'> = {}): Promise<{ status: number; body: string }> {
    return this.injectEvent(this.event(spec), opts);
  }

  /** Pushes a prepared envelope (e.g. the same event twice, to test redelivery). */
  async injectEvent(envelope: LarkEventEnvelope | Record<string, unknown>, opts: Omit<PostEventOptions, 'encryptKey'> = {}): Promise<{ status: number; body: string }> {
    if (this.webhook) {
      const post: PostEventOptions = { ...opts };
      if (this.webhook.encryptKey) {
        post.encryptKey = this.webhook.encryptKey;
        post.encrypt = opts.encrypt ?? this.webhook.encrypt ?? true;
      }
      return postEvent(this.webhook.url, envelope, post);
    }
    if (!this.wsConns.size) throw new Error('no webhook target and no WebSocket client connected');
    const body = Buffer.from(JSON.stringify(envelope));
    const messageId = `msg_${++this.wsSeq}`;
    for (const c of this.wsConns) {
      c.sendFrame({
        SeqID: this.wsSeq,
        LogID: this.wsSeq,
        service: 1,
        method: FRAME_DATA,
        headers: [
          { key: 'type', value: 'event' },
          { key: 'message_id', value: messageId },
          { key: 'sum', value: '1' },
          { key: 'seq', value: '0' },
          { key: 'trace_id', value: `trace_${this.wsSeq}` },
        ],
        payload: body,
      });
    }
    const until = Date.now() + (opts.timeoutMs ?? 5000);
    while (!this.wsAcks.has(messageId)) {
      if (Date.now() > until) throw new Error(`no ack for ${messageId}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const ack = this.wsAcks.get(messageId) as { code?: number };
    return { status: ack?.code ?? 0, body: JSON.stringify(ack) };
  }

  /** Closes every WebSocket from the server side (the SDK should reconnect). */
  dropWebSockets(): void {
    for (const c of this.wsConns) c.destroy();
    this.wsConns.clear();
  }

  // ── HTTP ──

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const path = url.pathname;
    const route = routeOf(req.method ?? 'GET', path);
    const call: FakeCall = { method: req.method ?? 'GET', path, at: Date.now() };
    if (route) call.route = route;
    this.calls.push(call);
    const raw = await readBody(req);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
    };
    if (!route) return json(404, { code: 404, msg: `fake lark: no route ${req.method} ${path}` });

    const fault = this.faults.get(route)?.shift();
    if (fault) {
      switch (fault.kind) {
        case 'hang':
          this.hung.add(res);
          res.on('close', () => this.hung.delete(res));
          return;
        case 'rate-limit': {
          const reset = fault.resetSeconds ?? 1;
          return json(
            fault.httpStatus ?? 429,
            { code: 99991400, msg: 'request trigger frequency limit' },
            { 'x-ogw-ratelimit-limit': '50', 'x-ogw-ratelimit-reset': String(reset) },
          );
        }
        case 'server-error':
          return json(fault.status ?? 500, { code: 1, msg: 'internal error' });
        case 'error':
          // The long-connection endpoint's answers always carry `data` (the SDK destructures it).
          return json(fault.status, { code: fault.code, msg: fault.msg ?? 'error', ...(route === 'ws-endpoint' ? { data: {} } : {}) });
      }
    }

    const body = parseJson(raw);
    if (route === 'token') {
      if (body?.app_id !== this.appId || body?.app_secret !== this.appSecret) return json(400, { code: 10014, msg: 'app secret invalid' });
      const token = `t-fake-${randomBytes(6).toString('hex')}`;
      this.tokens.add(token);
      return json(200, { code: 0, msg: 'ok', tenant_access_token: token, expire: this.opts.tokenExpireSeconds ?? 7200 });
    }
    if (route === 'ws-endpoint') {
      if (body?.AppID !== this.appId || body?.AppSecret !== this.appSecret) return json(200, { code: 403, msg: 'forbidden', data: {} });
      const { port } = this.server!.address() as AddressInfo;
      return json(200, {
        code: 0,
        msg: 'ok',
        data: {
          URL: `ws://127.0.0.1:${port}/ws?device_id=fake-device&service_id=1&access_key=fake&ticket=fake`,
          ClientConfig: { PingInterval: 120, ReconnectCount: 5, ReconnectInterval: 1, ReconnectNonce: 0 },
        },
      });
    }
    // Everything else needs a tenant token.
    const auth = req.headers.authorization ?? '';
    if (!this.tokens.has(auth.replace(/^Bearer /, ''))) return json(400, { code: 99991663, msg: 'Invalid access token for authorization' });

    if (route === 'bot-info') {
      return json(200, { code: 0, msg: 'ok', bot: { activate_status: 2, app_name: this.botName, open_id: this.botOpenId, ip_white_list: [] } });
    }
    if (route === 'contact') {
      const id = decodeURIComponent(path.split('/').pop() ?? '');
      const name = this.users.get(id);
      if (!name) return json(400, { code: 41050, msg: 'no user authority error' });
      return json(200, { code: 0, msg: 'success', data: { user: { open_id: id, name } } });
    }
    // route === 'messages'
    const receiveIdType = url.searchParams.get('receive_id_type') ?? '';
    if (!receiveIdType) return json(400, { code: 99992402, msg: 'field validation failed: receive_id_type is required' });
    if (typeof body?.receive_id !== 'string' || typeof body?.msg_type !== 'string' || typeof body?.content !== 'string') {
      return json(400, { code: 99992402, msg: 'field validation failed' });
    }
    const limit = body.msg_type === 'text' ? 150 * 1024 : 30 * 1024;
    if (Buffer.byteLength(raw) > limit) return json(400, { code: 230025, msg: 'message content too long' });
    let content: unknown;
    try {
      content = JSON.parse(body.content);
    } catch {
      return json(400, { code: 230001, msg: 'invalid message content' });
    }
    const uuid = typeof body.uuid === 'string' ? body.uuid : undefined;
    if (uuid !== undefined && uuid.length > 50) return json(400, { code: 99992402, msg: 'uuid too long' });
    const previous = uuid ? this.byUuid.get(uuid) : undefined;
    const message: SentLarkMessage = previous ?? {
      receiveId: body.receive_id,
      receiveIdType,
      msgType: body.msg_type,
      content: body.content,
      messageId: `om_${randomBytes(8).toString('hex')}`,
      text: contentText(body.msg_type, content),
      bodyBytes: Buffer.byteLength(raw),
    };
    if (!previous) {
      if (uuid) {
        message.uuid = uuid;
        this.byUuid.set(uuid, message);
      }
      this.sent.push(message);
    }
    return json(200, {
      code: 0,
      msg: 'success',
      data: {
        message_id: message.messageId,
        chat_id: message.receiveId,
        msg_type: message.msgType,
        create_time: String(Date.now()),
        sender: { id: this.appId, id_type: 'app_id', sender_type: 'app', tenant_key: 'tenant-fake' },
        body: { content: message.content },
      },
    });
  }

  // ── WebSocket (RFC 6455, just what the SDK's `ws` client needs) ──

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', this.base);
    const key = req.headers['sec-websocket-key'];
    if (url.pathname !== '/ws' || typeof key !== 'string') {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    if (this.faults.get('ws')?.shift()) {
      this.calls.push({ method: 'GET', path: '/ws', route: 'ws', at: Date.now() });
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.calls.push({ method: 'GET', path: '/ws', at: Date.now() });
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const conn = new FakeWsConnection(socket, (frame) => this.onWsFrame(conn, frame));
    this.wsConns.add(conn);
    socket.on('close', () => this.wsConns.delete(conn));
    if (head.length) conn.feed(head);
  }

  private onWsFrame(conn: FakeWsConnection, frame: PbFrame): void {
    const type = frame.headers.find((h) => h.key === 'type')?.value;
    if (frame.method === FRAME_CONTROL && type === 'ping') {
      conn.sendFrame({
        SeqID: 0,
        LogID: 0,
        service: frame.service,
        method: FRAME_CONTROL,
        headers: [{ key: 'type', value: 'pong' }],
        payload: Buffer.from(JSON.stringify({ PingInterval: 120, ReconnectCount: 5, ReconnectInterval: 1, ReconnectNonce: 0 })),
      });
      return;
    }
    if (frame.method === FRAME_DATA) {
      const id = frame.headers.find((h) => h.key === 'message_id')?.value;
      if (id) {
        const ack = parseJson(frame.payload.toString('utf8')) ?? {};
        this.wsAcks.set(id, ack);
        this.onWsAck?.(id, ack);
      }
    }
  }
}

function routeOf(method: string, path: string): FakeRoute | undefined {
  if (method === 'POST' && path === '/open-apis/auth/v3/tenant_access_token/internal') return 'token';
  if (method === 'POST' && path === '/open-apis/im/v1/messages') return 'messages';
  if (method === 'GET' && path === '/open-apis/bot/v3/info') return 'bot-info';
  if (method === 'GET' && path.startsWith('/open-apis/contact/v3/users/')) return 'contact';
  if (method === 'POST' && path === '/callback/ws/endpoint') return 'ws-endpoint';
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(raw: string): Record<string, any> | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === 'object' && v !== null ? (v as Record<string, any>) : undefined;
  } catch {
    return undefined;
  }
}

/** Plain text of a message content as a reader sees it: text as is; a post's title and paragraphs. */
export function contentText(msgType: string, content: unknown): string {
  const c = content as Record<string, any>;
  if (msgType === 'text') return typeof c?.text === 'string' ? c.text : '';
  if (msgType === 'post') {
    const body = c && (Array.isArray(c.content) ? c : (c.zh_cn ?? c.en_us ?? Object.values(c)[0]));
    const lines: string[] = [];
    if (body?.title) lines.push(body.title);
    for (const para of body?.content ?? []) {
      lines.push(
        (para as { tag: string; text?: string; href?: string }[])
          .map((el) => (el.tag === 'a' ? `${el.text ?? ''} ${el.href ?? ''}`.trim() : (el.text ?? '')))
          .join(''),
      );
    }
    return lines.join('\n');
  }
  return '';
}

// ───────────────────────────── protobuf frames (pbbp2.Frame) ─────────────────────────────

const FRAME_CONTROL = 0;
const FRAME_DATA = 1;

interface PbFrame {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: { key: string; value: string }[];
  payload: Buffer;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}

const tag = (field: number, wire: number) => varint((field << 3) | wire);
const bytesField = (field: number, b: Buffer) => Buffer.concat([tag(field, 2), varint(b.length), b]);

export function encodeFrame(f: PbFrame): Buffer {
  const parts = [tag(1, 0), varint(f.SeqID), tag(2, 0), varint(f.LogID), tag(3, 0), varint(f.service), tag(4, 0), varint(f.method)];
  for (const h of f.headers) parts.push(bytesField(5, Buffer.concat([bytesField(1, Buffer.from(h.key)), bytesField(2, Buffer.from(h.value))])));
  parts.push(bytesField(8, f.payload));
  return Buffer.concat(parts);
}

export function decodeFrame(buf: Buffer): PbFrame {
  const frame: PbFrame = { SeqID: 0, LogID: 0, service: 0, method: 0, headers: [], payload: Buffer.alloc(0) };
  const fields = readFields(buf);
  for (const [field, value] of fields) {
    if (typeof value === 'number') {
      if (field === 1) frame.SeqID = value;
      else if (field === 2) frame.LogID = value;
      else if (field === 3) frame.service = value;
      else if (field === 4) frame.method = value;
    } else if (field === 5) {
      const h = { key: '', value: '' };
      for (const [f2, v2] of readFields(value)) {
        if (f2 === 1 && typeof v2 !== 'number') h.key = v2.toString('utf8');
        if (f2 === 2 && typeof v2 !== 'number') h.value = v2.toString('utf8');
      }
      frame.headers.push(h);
    } else if (field === 8) frame.payload = value;
  }
  return frame;
}

function readFields(buf: Buffer): [number, number | Buffer][] {
  const out: [number, number | Buffer][] = [];
  let i = 0;
  const readVarint = (): number => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7n;
    }
    return Number(BigInt.asIntN(64, result));
  };
  while (i < buf.length) {
    const key = readVarint();
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push([field, readVarint()]);
    else if (wire === 2) {
      const len = readVarint();
      out.push([field, buf.subarray(i, i + len)]);
      i += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

/** One server-side WebSocket: binary frames out (unmasked), masked frames in. */
class FakeWsConnection {
  private buffer = Buffer.alloc(0);

  constructor(
    private readonly socket: Socket,
    private readonly onFrame: (frame: PbFrame) => void,
  ) {
    socket.on('data', (d: Buffer) => this.feed(d));
    socket.on('error', () => socket.destroy());
    // http.Server sockets are half-open capable: without this, a client that goes away never 'close's here.
    socket.on('end', () => socket.destroy());
  }

  feed(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      const opcode = b[0]! & 0x0f;
      const masked = (b[1]! & 0x80) !== 0;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      const maskLen = masked ? 4 : 0;
      if (b.length < off + maskLen + len) return;
      const mask = b.subarray(off, off + maskLen);
      const payload = Buffer.from(b.subarray(off + maskLen, off + maskLen + len));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      this.buffer = b.subarray(off + maskLen + len);
      if (opcode === 0x8) {
        this.write(0x8, Buffer.alloc(0));
        this.socket.end();
        return;
      }
      if (opcode === 0x9) this.write(0xa, payload);
      else if (opcode === 0x2) {
        try {
          this.onFrame(decodeFrame(payload));
        } catch {
          /* a frame we cannot read is ignored, as a lenient server would */
        }
      }
    }
  }

  sendFrame(frame: PbFrame): void {
    this.write(0x2, encodeFrame(frame));
  }

  private write(opcode: number, payload: Buffer): void {
    if (this.socket.destroyed) return;
    let head: Buffer;
    if (payload.length < 126) head = Buffer.from([0x80 | opcode, payload.length]);
    else if (payload.length < 65536) {
      head = Buffer.alloc(4);
      head[0] = 0x80 | opcode;
      head[1] = 126;
      head.writeUInt16BE(payload.length, 2);
    } else {
      head = Buffer.alloc(10);
      head[0] = 0x80 | opcode;
      head[1] = 127;
      head.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    this.socket.write(Buffer.concat([head, payload]));
  }

  destroy(): void {
    this.socket.destroy();
  }
}
