// A loopback fake of the Feishu/Lark Open Platform, enough for the real @larksuiteoapi/node-sdk:
// tenant token, bot info, contact user lookup, message create (with uuid dedupe and injectable faults),
// and the long-connection endpoint plus a minimal WebSocket speaking the SDK's protobuf frames.
// Binds 127.0.0.1 on port 0 only. Reusable by adapter, end-to-end and fault tests.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { cardActionEvent, type FakeCardActionSpec, type LarkEventEnvelope, messageEvent, postEvent, type FakeMessageSpec, type PostEventOptions } from './lark-fake-events.ts';
import { parseJson, parseMultipart, readBody, routeOf, serveResource, contentText } from './lark-fake-http.ts';
import { FakeWsConnection, FRAME_CONTROL, FRAME_DATA, type PbFrame } from './lark-fake-ws.ts';

export * from './lark-fake-events.ts';
export { contentText } from './lark-fake-http.ts';
export { decodeFrame, encodeFrame } from './lark-fake-ws.ts';

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
export type FakeRoute = 'messages' | 'reply' | 'image-upload' | 'resource' | 'token' | 'bot-info' | 'contact' | 'ws-endpoint' | 'ws' | 'chat-info';

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
  /** Set when it was sent through the reply API: the message it answers. */
  replyTo?: string;
}

/** A picture inside a message, served by the resource API. */
export interface FakeResource {
  bytes: Buffer;
  mime: string;
  /** Send Content-Length (default true); false: chunked, so only reading tells the size. */
  declareLength?: boolean;
  /** Wait this long between 16 KB chunks (a slow download). */
  chunkDelayMs?: number;
}

/** What the card callback was answered with. */
export interface CardAnswer {
  status: number;
  /** The answer body: the toast the presser sees. */
  reply: { toast?: { type?: string; content?: string } } | undefined;
  ms: number;
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
  /** Pictures uploaded through POST /im/v1/images (image_key → bytes). */
  readonly images = new Map<string, { bytes: Buffer; filename: string }>();
  /** Pictures inside messages (`${message_id}/${file_key}` → resource), for GET …/resources/:file_key. */
  readonly resources = new Map<string, FakeResource>();
  /** Messages withdrawn (recalled) or deleted: replying to them fails with 230011 / 231003. */
  readonly withdrawn = new Set<string>();
  readonly deleted = new Set<string>();
  readonly calls: FakeCall[] = [];
  /** Groups for GET /im/v1/chats/:chat_id (member counts as numbers; the API answers them as strings). Others: invalid chat_id. */
  readonly chats = new Map<string, { name?: string; userCount?: number; botCount?: number }>();
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
    const envelope = this.event(spec);
    const id = (envelope.event as { message: { message_id: string } }).message.message_id;
    this.receivedIn.set(id, spec.chatId);
    return this.injectEvent(envelope, opts);
  }

  /**
   * Chat of each injected message: a reply is a message in its parent's chat, and the answer's chat_id
   * says so (2026-11, https://open.feishu.cn/document/server-docs/im-v1/message/reply).
   */
  private readonly receivedIn = new Map<string, string>();

  /** A card.action.trigger callback for this app. */
  cardEvent(spec: FakeCardActionSpec): LarkEventEnvelope {
    const app: { appId: string; verificationToken?: string } = { appId: this.appId };
    if (this.webhook?.verificationToken) app.verificationToken = this.webhook.verificationToken;
    return cardActionEvent(spec, app);
  }

  /**
   * Someone presses a button: the callback goes to the webhook or over the WebSockets, as events do;
   * resolves with the answer (the toast; in ws mode decoded from the response frame's base64 `data`) and
   * how long it took.
   */
  async pressButton(spec: FakeCardActionSpec | LarkEventEnvelope, opts: Omit<PostEventOptions, 'encryptKey'> = {}): Promise<CardAnswer> {
    const envelope = 'header' in spec ? spec : this.cardEvent(spec);
    const t0 = Date.now();
    const res = await this.injectEvent(envelope, opts);
    const ms = Date.now() - t0;
    let reply: CardAnswer['reply'];
    try {
      const body = JSON.parse(res.body) as Record<string, unknown>;
      if (this.webhook) reply = body;
      else if (typeof body.data === 'string') reply = JSON.parse(Buffer.from(body.data, 'base64').toString('utf8'));
    } catch {
      reply = undefined;
    }
    return { status: res.status, reply, ms };
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
    const rawBytes = await readBody(req);
    const raw = rawBytes.toString('utf8');
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
    if (route === 'chat-info') {
      // 2026-11, https://open.feishu.cn/document/server-docs/group/chat/get: user_count and bot_count are
      // strings; a chat hidden by hide_member_count_setting has no count.
      const chat = this.chats.get(decodeURIComponent(path.split('/').pop() ?? ''));
      if (!chat) return json(400, { code: 232006, msg: 'invalid chat_id' });
      const data: Record<string, unknown> = { name: chat.name ?? '', chat_mode: 'group', chat_type: 'private', chat_status: 'normal' };
      if (chat.userCount !== undefined) data.user_count = String(chat.userCount);
      if (chat.botCount !== undefined) data.bot_count = String(chat.botCount);
      return json(200, { code: 0, msg: 'success', data });
    }
    if (route === 'contact') {
      const id = decodeURIComponent(path.split('/').pop() ?? '');
      const name = this.users.get(id);
      if (!name) return json(400, { code: 41050, msg: 'no user authority error' });
      return json(200, { code: 0, msg: 'success', data: { user: { open_id: id, name } } });
    }
    if (route === 'image-upload') {
      // 2026-11, https://open.feishu.cn/document/server-docs/im-v1/image/create: multipart with
      // image_type and image; at most 10 MB, not empty.
      const form = parseMultipart(rawBytes, req.headers['content-type'] ?? '');
      const image = form.get('image');
      if (form.get('image_type')?.data.toString() !== 'message' || !image) return json(400, { code: 99992402, msg: 'field validation failed: image_type, image' });
      if (image.data.length === 0) return json(400, { code: 234010, msg: 'File size cannot be 0.' });
      if (image.data.length > 10 * 1024 * 1024) return json(400, { code: 234006, msg: 'The file size exceed the max value.' });
      const imageKey = `img_v3_${randomBytes(8).toString('hex')}`;
      this.images.set(imageKey, { bytes: image.data, filename: image.filename ?? '' });
      return json(200, { code: 0, msg: 'success', data: { image_key: imageKey } });
    }
    if (route === 'resource') {
      const [, , , , , messageId, , fileKey] = path.split('/').map(decodeURIComponent);
      if (url.searchParams.get('type') !== 'image' && url.searchParams.get('type') !== 'file') return json(400, { code: 234001, msg: 'Invalid request param.' });
      const resource = this.resources.get(`${messageId}/${fileKey}`);
      if (!resource) return json(400, { code: 234002, msg: 'No permission, or the resource was deleted.' });
      return serveResource(res, resource);
    }
    if (route === 'reply') {
      // 2026-11, https://open.feishu.cn/document/server-docs/im-v1/message/reply: 230011 withdrawn, 231003 not found.
      const parentId = decodeURIComponent(path.split('/')[5] ?? '');
      if (this.withdrawn.has(parentId)) return json(400, { code: 230011, msg: 'The message was withdrawn.' });
      const parent = this.sent.find((m) => m.messageId === parentId);
      if (this.deleted.has(parentId) || (!parent && !parentId.startsWith('om_'))) return json(400, { code: 231003, msg: 'The message is not found, maybe not exist or deleted.' });
      const answer = this.record(raw, body, parent?.receiveId ?? this.receivedIn.get(parentId) ?? `chat-of-${parentId}`, 'chat_id', parentId);
      return json(answer.status, answer.body);
    }
    // route === 'messages'
    const receiveIdType = url.searchParams.get('receive_id_type') ?? '';
    if (!receiveIdType) return json(400, { code: 99992402, msg: 'field validation failed: receive_id_type is required' });
    if (typeof body?.receive_id !== 'string') return json(400, { code: 99992402, msg: 'field validation failed' });
    const answer = this.record(raw, body, body.receive_id, receiveIdType);
    return json(answer.status, answer.body);
  }

  /** A new message (create, or a reply to `replyTo`), deduped by uuid; answers as Lark does. */
  private record(raw: string, body: Record<string, unknown> | undefined, receiveId: string, receiveIdType: string, replyTo?: string): { status: number; body: unknown } {
    const json = (status: number, b: unknown) => ({ status, body: b });
    if (typeof body?.msg_type !== 'string' || typeof body.content !== 'string') {
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
    if (body.msg_type === 'image' && !this.images.has((content as { image_key?: string })?.image_key ?? '')) {
      return json(400, { code: 230001, msg: 'invalid image_key' });
    }
    const uuid = typeof body.uuid === 'string' ? body.uuid : undefined;
    if (uuid !== undefined && uuid.length > 50) return json(400, { code: 99992402, msg: 'uuid too long' });
    const previous = uuid ? this.byUuid.get(uuid) : undefined;
    const message: SentLarkMessage = previous ?? {
      receiveId,
      receiveIdType,
      msgType: body.msg_type,
      content: body.content,
      messageId: `om_${randomBytes(8).toString('hex')}`,
      text: contentText(body.msg_type, content),
      bodyBytes: Buffer.byteLength(raw),
      ...(replyTo ? { replyTo } : {}),
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
        ...(replyTo ? { parent_id: replyTo, root_id: replyTo } : {}),
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

