// A WeChat stand-in for tests: wechaty-puppet-mock's Mocker behind a real PuppetMock, which a real
// wechaty drives. Rooms are made by topic (ids end in "@chatroom": PuppetMock routes sends by "@"),
// members talk in them, and what the bot says is recorded per room with timings.
import { FileBox } from 'file-box';
import { types } from 'wechaty';
import { mock, PuppetMock } from 'wechaty-puppet-mock';

type ContactMock = mock.ContactMock;
type RoomMock = mock.RoomMock;

export interface WechatMockOptions {
  /** The bot account's WeChat name. */
  botName?: string;
  /** Log the bot in as soon as the puppet starts (each start, so restarts log in again). Default true. */
  autoLogin?: boolean;
  /** Emit a QR 'scan' (this value) before logging in, as wechat4u does on a fresh session. */
  scanQrcode?: string;
  /** Emit 'ready' after login, as wechat4u does once its room list is loaded. Default true. */
  emitReady?: boolean;
  /** Time each bot send takes on the "wire", ms; default 0. */
  sendLatencyMs?: number;
}

/** One text (or file) the platform accepted from the bot. */
export interface MockSend {
  /** The room's id, or the contact's id for a private chat. */
  roomId: string;
  /** The room's topic when the send was accepted ('' for a private chat). */
  topic: string;
  /** The text; '' for a file. */
  text: string;
  /** Contacts the bot @-mentioned (wechaty's mentionIdList, as PuppetInterface.messageSendText gets it). */
  mentionIds?: string[];
  /** A file the bot sent (FileBox name and size; `bytes`: what was uploaded). */
  file?: { name: string; size: number; bytes?: Buffer };
  startedAt: number;
  endedAt: number;
}

let roomSeq = 0;

/**
 * The error wechat4u throws when webwxsendmsg answers Ret 1205 ("发送过于频繁"): a Node AssertionError
 * (`actual: 1205, expected: 0`) with the axios response attached (shape as reported in
 * https://github.com/danni-cool/wechatbot-webhook/issues/256, 2024-10). WeChat itself sends no
 * Retry-After; pass `retryAfterSeconds` to add one, as a gateway in front of it might.
 */
export function wechat4uFrequencyError(retryAfterSeconds?: number): Error {
  const headers: Record<string, string> = { 'content-type': 'text/plain' };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  return Object.assign(new Error('1205 == 0'), {
    name: 'AssertionError',
    generatedMessage: true,
    code: 'ERR_ASSERTION',
    actual: 1205,
    expected: 0,
    operator: '==',
    tips: '发送文本信息失败',
    response: { status: 200, statusText: 'OK', headers, data: { BaseResponse: { Ret: 1205, ErrMsg: '' }, MsgID: '', LocalID: '' } },
  });
}

export class WechatMock {
  readonly mocker = new mock.Mocker();
  readonly puppet: PuppetMock;
  /** The bot's own account. */
  readonly self: ContactMock;
  /** Every text the bot sent that the platform accepted, in order. */
  readonly sends: MockSend[] = [];
  private readonly members = new Map<string, ContactMock>();
  private readonly rooms: RoomMock[] = [];
  private readonly urlPayloads = new Map<string, { title: string; description?: string; url: string }>();
  private readonly roomAliases = new Map<string, string>();
  private readonly failures: { topic?: string; error: () => unknown }[] = [];
  private firstLogin: Promise<void>;
  private firstReady: Promise<void>;
  private msgSeq = 0;

  constructor(readonly options: WechatMockOptions = {}) {
    this.puppet = new PuppetMock({ mocker: this.mocker });
    this.self = this.mocker.createContact({ id: 'wxid_relay_bot', name: options.botName ?? '校友内推小助手' });
    this.firstLogin = new Promise((resolve) => this.puppet.once('login', () => resolve()));
    this.firstReady = new Promise((resolve) => this.puppet.once('ready', () => resolve()));
    if (options.autoLogin ?? true) {
      this.mocker.use(() => {
        // A stop() right after start() can leave the first start's login pending until after the
        // restart (both run in setImmediate): log in once, as a kept session would.
        if (this.puppet.isLoggedIn) return () => undefined;
        if (options.scanQrcode) this.mocker.scan(options.scanQrcode, types.ScanStatus.Waiting);
        this.mocker.login(this.self);
        if (options.emitReady ?? true) setImmediate(() => this.puppet.emit('ready', { data: 'stable' }));
        return () => undefined;
      });
    }
    this.patchPuppet();
  }

  private patchPuppet(): void {
    const puppet = this.puppet;
    const sendText = puppet.messageSendText.bind(puppet);
    puppet.messageSendText = async (conversationId: string, text: string, ...rest: unknown[]) => {
      const startedAt = Date.now();
      const topic = this.topicOf(conversationId);
      const failure = this.failures.findIndex((f) => f.topic === undefined || f.topic === topic);
      if (this.options.sendLatencyMs) await new Promise((r) => setTimeout(r, this.options.sendLatencyMs));
      if (failure >= 0) {
        const [f] = this.failures.splice(failure, 1);
        throw f!.error();
      }
      await sendText(conversationId, text, ...(rest as []));
      const mentionIds = Array.isArray(rest[0]) && rest[0].length ? (rest[0] as string[]) : undefined;
      this.sends.push({ roomId: conversationId, topic: topic ?? '', text, ...(mentionIds && { mentionIds }), startedAt, endedAt: Date.now() });
    };
    const sendFile = puppet.messageSendFile.bind(puppet);
    puppet.messageSendFile = async (conversationId: string, file: Parameters<typeof sendFile>[1]) => {
      const startedAt = Date.now();
      const topic = this.topicOf(conversationId);
      if (this.options.sendLatencyMs) await new Promise((r) => setTimeout(r, this.options.sendLatencyMs));
      const failure = this.failures.findIndex((f) => f.topic === undefined || f.topic === topic);
      if (failure >= 0) {
        const [f] = this.failures.splice(failure, 1);
        throw f!.error();
      }
      // PuppetMock re-emits what the bot says, which needs a JSON-able box (base64), as wechat4u would upload it.
      const bytes = await file.toBuffer();
      await sendFile(conversationId, FileBox.fromBase64(bytes.toString('base64'), file.name));
      this.sends.push({ roomId: conversationId, topic: topic ?? '', text: '', file: { name: file.name, size: bytes.length, bytes }, startedAt, endedAt: Date.now() });
    };
    const messageUrl = puppet.messageUrl.bind(puppet);
    puppet.messageUrl = async (messageId: string) => this.urlPayloads.get(messageId) ?? messageUrl(messageId);
    const memberPayload = puppet.roomMemberRawPayload.bind(puppet);
    puppet.roomMemberRawPayload = async (roomId: string, contactId: string) => {
      const payload = await memberPayload(roomId, contactId);
      const roomAlias = this.roomAliases.get(`${roomId}|${contactId}`);
      return roomAlias ? { ...payload, roomAlias } : payload;
    };
  }

  private topicOf(roomId: string): string | undefined {
    return this.mocker.cacheRoomPayload.get(roomId)?.topic;
  }

  /** Resolves at the bot's first login; rejects after `timeoutMs`. */
  loggedIn(timeoutMs = 5000): Promise<void> {
    return bounded(this.firstLogin, timeoutMs, 'the mock bot never logged in');
  }

  /** Resolves once the puppet said 'ready' (room list loaded); rejects after `timeoutMs`. */
  ready(timeoutMs = 5000): Promise<void> {
    return bounded(this.firstReady, timeoutMs, 'the mock puppet never got ready');
  }

  /** A group with this topic; made on first use (pass `{ id }` or `{ fresh: true }` to make a second one). */
  room(topic: string, opts: { id?: string; fresh?: boolean } = {}): RoomMock {
    const existing = !opts.fresh && !opts.id && this.rooms.find((r) => r.payload.topic === topic);
    if (existing) return existing;
    const room = this.mocker.createRoom({
      id: opts.id ?? `${(++roomSeq).toString().padStart(5, '0')}${Date.now().toString(36)}@chatroom`,
      topic,
      memberIdList: [this.self.id],
      ownerId: undefined,
      adminIdList: [],
    });
    this.rooms.push(room);
    return room;
  }

  /** Every group currently called `topic`. */
  roomsByTopic(topic: string): RoomMock[] {
    return this.rooms.filter((r) => r.payload.topic === topic);
  }

  /** A member (contact) by WeChat name; made on first use. */
  member(sender: string | { id: string; name: string }): ContactMock {
    const { id, name } = typeof sender === 'string' ? { id: `wxid_${sender}`, name: sender } : sender;
    let contact = this.members.get(id);
    if (!contact) {
      contact = this.mocker.createContact({ id, name });
      this.members.set(id, contact);
    }
    return contact;
  }

  /** Members join the group without saying anything (for room.memberAll(): group sizes). */
  addMembers(topic: string, senders: (string | { id: string; name: string })[]): void {
    const room = this.room(topic);
    for (const sender of senders) this.join(room, this.member(sender));
  }

  /** The member's nickname in that group (群昵称). */
  setRoomAlias(topic: string, member: ContactMock, roomAlias: string): void {
    this.roomAliases.set(`${this.room(topic).id}|${member.id}`, roomAlias);
  }

  private join(room: RoomMock, contact: ContactMock): void {
    if (!room.payload.memberIdList.includes(contact.id)) room.payload.memberIdList.push(contact.id);
  }

  /** A member says a text in the group; resolves once the puppet emitted it. */
  async say(topic: string, sender: string | { id: string; name: string }, text: string, mentions: ContactMock[] = []): Promise<void> {
    await this.loggedIn();
    const room = this.room(topic);
    const member = this.member(sender);
    this.join(room, member);
    member.say(text, mentions).to(room);
  }

  /** A member shares a link card (type Url) in the group; returns the message id. */
  async sayUrl(topic: string, sender: string | { id: string; name: string }, link: { title: string; description?: string; url: string }): Promise<string> {
    await this.loggedIn();
    const room = this.room(topic);
    const member = this.member(sender);
    this.join(room, member);
    return this.emitMessage({ talkerId: member.id, roomId: room.id, type: types.Message.Url }, link);
  }

  /** A member sends something that is not text (e.g. types.Message.Image) in the group. */
  async sayType(topic: string, sender: string | { id: string; name: string }, type: types.Message): Promise<string> {
    await this.loggedIn();
    const room = this.room(topic);
    const member = this.member(sender);
    this.join(room, member);
    return this.emitMessage({ talkerId: member.id, roomId: room.id, type });
  }

  /** Someone writes to the bot in a private chat. */
  async sayPrivately(sender: string | { id: string; name: string }, text: string): Promise<void> {
    await this.loggedIn();
    this.member(sender).say(text).to(this.self);
  }

  /** An official account (公众号, wechaty types.Contact.Official) pushes a text to the bot. */
  async officialSays(name: string, text: string): Promise<void> {
    await this.loggedIn();
    const id = `gh_${name}`;
    let account = this.members.get(id);
    if (!account) {
      account = this.mocker.createContact({ id, name, type: types.Contact.Official } as never);
      this.members.set(id, account);
    }
    account.say(text).to(this.self);
  }

  /**
   * A member sends a picture (type Image) in `topic`, or privately when `topic` is null; returns the
   * message id. PuppetMock serves it back through messageFile as a base64 FileBox.
   */
  async sayImage(topic: string | null, sender: string | { id: string; name: string }, bytes: Buffer, name = 'poster.png'): Promise<string> {
    await this.loggedIn();
    const member = this.member(sender);
    const id = `mock-img-${++this.msgSeq}-${Date.now().toString(36)}`;
    this.mocker.cacheFileBoxPayload.set(id, FileBox.fromBase64(bytes.toString('base64'), name).toJSON());
    if (topic === null) {
      this.mocker.MessageMock.create({ id, timestamp: Date.now(), type: types.Message.Image, talkerId: member.id, listenerId: this.self.id } as never);
      this.puppet.emit('message', { messageId: id });
      return id;
    }
    const room = this.room(topic);
    this.join(room, member);
    return this.emitMessage({ talkerId: member.id, roomId: room.id, type: types.Message.Image }, undefined, id);
  }

  /**
   * A member quotes a message and answers it, as puppet-wechat4u hands a quote (appmsg 57) to wechaty:
   * a Text whose text is 「name：quoted」, a dashed line, then the reply (message-parser-refermsg.ts).
   */
  async sayQuote(topic: string, sender: string | { id: string; name: string }, quoted: { name: string; text: string }, reply: string): Promise<void> {
    await this.say(topic, sender, `「${quoted.name}：${quoted.text}」\n- - - - - - - - - - - - - - -\n${reply}`);
  }

  /** The member leaves the group. */
  leave(topic: string, member: ContactMock): void {
    const ids = this.room(topic).payload.memberIdList;
    const at = ids.indexOf(member.id);
    if (at >= 0) ids.splice(at, 1);
  }

  /** Texts the platform accepted from the bot in the private chat with `contactId`, in order. */
  sentPrivately(contactId: string): string[] {
    return this.sends.filter((s) => s.roomId === contactId && !s.file).map((s) => s.text);
  }

  /** The bot's own account says a text in the group (as when it is used from a phone too). */
  async botSay(topic: string, text: string): Promise<void> {
    await this.loggedIn();
    this.self.say(text).to(this.room(topic));
  }

  private emitMessage(p: { talkerId: string; roomId: string; type: types.Message }, link?: { title: string; description?: string; url: string }, id = `mock-msg-${++this.msgSeq}-${Date.now().toString(36)}`): string {
    if (link) this.urlPayloads.set(id, link);
    this.mocker.MessageMock.create({ id, timestamp: Date.now(), mentionIdList: [], text: '', ...p } as never);
    this.puppet.emit('message', { messageId: id });
    return id;
  }

  /** Texts the platform accepted from the bot for groups now called `topic`, in order. */
  sentTexts(topic: string): string[] {
    const ids = new Set(this.roomsByTopic(topic).map((r) => r.id));
    return this.sends.filter((s) => ids.has(s.roomId) && !s.file).map((s) => s.text);
  }

  /** Failures queued by failNextSends that no send has met yet. */
  get pendingFailures(): number {
    return this.failures.length;
  }

  /** The next `n` bot sends (to `topic`, or anywhere) fail with `error()` instead of going out. */
  failNextSends(n: number, error: () => unknown, topic?: string): void {
    for (let i = 0; i < n; i++) this.failures.push({ topic, error });
  }

  /** Renames a group, as a member would (wechaty sees a 'room-topic' event). */
  rename(topic: string, newTopic: string): void {
    const room = this.room(topic);
    room.topic(newTopic).by(this.self);
  }
}

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    }),
  ]);
}
