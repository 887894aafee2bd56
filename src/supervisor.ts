// Keeps one platform's trouble to itself. Every adapter runs inside a PlatformSupervisor:
// - start() always resolves: a platform that cannot start (unreachable, misconfigured) gets ONE log
//   line — what failed, what to check, no stack, no secret — and is retried with jittered exponential
//   backoff (5 s doubling to 5 min) until it comes up, while the other platforms run;
// - send() fails with a retryable AdapterError while the platform is not connected, so the outbox keeps
//   the delivery and tries again after the next start attempt (nothing is dropped);
// - health() says how the platform is doing, from start results and what the adapter reports later
//   (a WeChat logout and its new login QR, Telegram polling stopped, a Lark socket dropped).
// Core code: it knows platforms by name only and never imports an SDK.
import type { AdapterStatus, ObservableAdapter } from './adapter-status.ts';
import type { OutboundMessage, Platform } from './domain.ts';
import type { Logger } from './log.ts';
import { backoffMs } from './outbox.ts';
import { type ActionHandler, AdapterError, type ChatAdapter, type MessageHandler, type PlatformHealth, type SendOptions, type SendResult } from './ports.ts';

/** What to check when a platform does not come up (environment names as in the README). */
const HINTS: Record<Platform, string> = {
  telegram: 'TELEGRAM_BOT_TOKEN (from @BotFather) and that the Bot API (api.telegram.org, or TELEGRAM_API_ROOT) is reachable',
  lark: "LARK_APP_ID / LARK_APP_SECRET, the app's Bot feature, LARK_MODE and that open.feishu.cn (or LARK_DOMAIN) is reachable",
  wechat: 'WECHATY_PUPPET (and WECHATY_PUPPET_TOKEN) and that RELAY_DATA_DIR/wechat is writable',
  local: 'the local platform (no network involved)',
};

/**
 * A send refused because the platform is not connected: nothing reached the platform, so it is not
 * the delivery's fault (the outbox may choose not to count it as an attempt). Retryable.
 */
export class PlatformDownError extends AdapterError {
  constructor(platform: Platform, message: string, retryAfterMs: number) {
    super(platform, 'send', message, { retryAfterMs, status: 503 });
    this.name = 'PlatformDownError';
  }
}

export interface SupervisorOptions {
  logger: Logger;
  /** Values that must never reach a log line or health(): credentials (see secretsFromEnv). */
  secrets?: readonly string[];
  /** What to check when the platform does not start; default: its credentials and reachability. */
  hint?: string;
  /** First retry delay; default 5 s. */
  minDelayMs?: number;
  /** Longest retry delay; default 5 min. */
  maxDelayMs?: number;
  random?: () => number;
  now?: () => Date;
}

export class PlatformSupervisor implements ChatAdapter {
  readonly platform: Platform;
  private readonly log: Logger;
  private readonly secrets: readonly string[];
  private readonly hint: string;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;
  private readonly now: () => Date;
  private state: PlatformHealth['state'] = 'stopped';
  private since: string;
  private lastError: string | undefined;
  private lastMessageAt: string | undefined;
  private loginQr: string | undefined;
  /** Between start() and stop(). */
  private running = false;
  /** The adapter's own start() succeeded in this run. */
  private started = false;
  /** An inner start() is in flight. */
  private attempting = false;
  /** Start failures in a row. */
  private failures = 0;
  private lastLogged: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private nextAttemptAt = 0;
  /** Bumped by start() and stop(): a late attempt or timer of an earlier run does nothing. */
  private run = 0;
  /** The last status the adapter reported during the attempt in flight (applied once start() resolves). */
  private reported: AdapterStatus | undefined;
  private unsubscribe: (() => void) | undefined;
  private handler: MessageHandler | undefined;
  private actionHandler: ActionHandler | undefined;
  /** Button presses go straight to the relay (noted like messages); undefined when the relay takes none. */
  private readonly deliverAction: ActionHandler = (a) => {
    this.lastMessageAt = this.now().toISOString();
    return this.actionHandler ? this.actionHandler(a) : Promise.resolve(undefined);
  };
  /** What the adapter delivers to: notes the time, then hands the message to the relay. */
  private readonly deliver: MessageHandler = (m) => {
    this.lastMessageAt = this.now().toISOString();
    return this.handler ? this.handler(m) : Promise.resolve();
  };

  constructor(
    readonly inner: ObservableAdapter,
    opts: SupervisorOptions,
  ) {
    this.platform = inner.platform;
    this.log = opts.logger.child({ platform: inner.platform, stage: 'supervisor' });
    this.secrets = opts.secrets ?? [];
    this.hint = opts.hint ?? HINTS[inner.platform];
    this.minDelayMs = opts.minDelayMs ?? 5000;
    this.maxDelayMs = opts.maxDelayMs ?? 5 * 60_000;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? (() => new Date());
    this.since = this.now().toISOString();
  }

  health(): PlatformHealth {
    const h: PlatformHealth = { platform: this.platform, state: this.state, since: this.since };
    if (this.lastError !== undefined) h.lastError = this.lastError;
    if (this.lastMessageAt !== undefined) h.lastMessageAt = this.lastMessageAt;
    if (this.loginQr !== undefined) h.loginQr = this.loginQr;
    return h;
  }

  /** Resolves after the first start attempt, whether it worked or not (a failure is retried in the background). */
  async start(onMessage: MessageHandler, onAction?: ActionHandler): Promise<void> {
    this.handler = onMessage;
    this.actionHandler = onAction;
    if (this.running) return;
    this.running = true;
    const run = ++this.run;
    this.failures = 0;
    this.setState('connecting');
    this.unsubscribe = this.inner.onStatusChange?.((s) => this.onReported(run, s));
    await this.attempt(run);
  }

  async send(chat: string, message: OutboundMessage, opts?: SendOptions): Promise<SendResult> {
    if (!this.running || !this.started) {
      const why = !this.running ? 'is stopped' : `is not connected${this.lastError ? ` (${this.lastError})` : ' yet'}`;
      const retryAfterMs = Math.max(1000, this.nextAttemptAt - this.now().getTime());
      // Retryable, with the time of the next start attempt: the outbox keeps the delivery until then.
      throw new PlatformDownError(this.platform, `${this.platform} ${why}; the delivery waits for it`, retryAfterMs);
    }
    return this.inner.send(chat, message, opts);
  }

  /** The group's size from the adapter while it is connected; undefined otherwise, or when the adapter cannot tell. Never throws. */
  async memberCount(chat: string): Promise<number | undefined> {
    if (!this.running || !this.started || !this.inner.memberCount) return undefined;
    try {
      const n = await this.inner.memberCount(chat);
      return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
    } catch (err) {
      this.log.debug(`${this.platform} member count of a chat failed: ${describeError(err, this.secrets)}`);
      return undefined;
    }
  }

  async stop(): Promise<void> {
    const wasRunning = this.running;
    const mustStop = this.started || this.attempting;
    this.running = false;
    this.started = false;
    this.run++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.loginQr = undefined;
    if (wasRunning) this.setState('stopped');
    if (mustStop) await this.inner.stop(); // during a backoff the adapter is stopped already
  }

  private async attempt(run: number): Promise<void> {
    this.reported = undefined;
    this.attempting = true;
    let failure: { err: unknown } | undefined;
    try {
      await this.inner.start(this.deliver, this.actionHandler ? this.deliverAction : undefined);
    } catch (err) {
      failure = { err };
    }
    this.attempting = false;
    if (failure) {
      if (run === this.run) await this.failed(run, failure.err);
      return;
    }
    if (run !== this.run) {
      if (!this.running) await this.inner.stop().catch(() => undefined); // stop() came while it started
      return;
    }
    this.started = true;
    const retries = this.failures;
    this.failures = 0;
    this.nextAttemptAt = 0;
    this.apply(this.inner.status?.() ?? this.reported ?? { state: 'up' });
    if (retries) this.log.info({ attempts: retries + 1 }, `${this.platform} is up after ${retries + 1} start attempts`);
  }

  private async failed(run: number, err: unknown): Promise<void> {
    this.failures += 1;
    // "telegram start: cannot reach …" reads as "telegram could not start: cannot reach …".
    const why = describeError(err, this.secrets).replace(new RegExp(`^${this.platform} start: `), '');
    const delay = backoffMs(this.failures, this.minDelayMs, this.maxDelayMs, this.random);
    this.nextAttemptAt = this.now().getTime() + delay;
    // An adapter that already says what to check knows better than the generic hint.
    const advice = /\bcheck\b/i.test(why) ? '' : ` Check ${this.hint}.`;
    this.lastError = `${why}${advice ? ` — check ${this.hint}` : ''}`;
    this.setState('down');
    const line = `${this.platform} could not start: ${why.replace(/[.。]$/, '')}.${advice} The other platforms keep running; retrying in ${seconds(delay)}.`;
    // One line per distinct problem; the same failure again is only worth a debug line.
    if (why !== this.lastLogged) this.log.error({ attempt: this.failures, retryInMs: delay }, line);
    else this.log.debug({ attempt: this.failures, retryInMs: delay }, line);
    this.lastLogged = why;
    // A half-started adapter lets go of what it holds before the next attempt.
    await this.inner.stop().catch(() => undefined);
    if (run !== this.run) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (run === this.run) void this.attempt(run);
    }, delay);
  }

  private onReported(run: number, status: AdapterStatus): void {
    if (run !== this.run) return;
    this.reported = status;
    if (this.started) this.apply(status); // during an attempt it is applied once start() resolves
  }

  /** Takes a status the adapter reported: state, its error (redacted), its login QR. */
  private apply(status: AdapterStatus): void {
    const before = this.state;
    this.loginQr = status.loginQr;
    if (status.state === 'down') {
      this.lastError = status.error !== undefined ? describeError(status.error, this.secrets) : `${this.platform} reported it is down`;
    }
    this.setState(status.state);
    if (status.state === 'down' && before !== 'down') this.log.warn(`${this.platform} is down: ${this.lastError}`);
    if (status.state === 'up' && before === 'down') this.log.info(`${this.platform} is up again`);
    if (status.state === 'up') this.lastLogged = undefined;
  }

  private setState(state: PlatformHealth['state']): void {
    if (state === this.state) return;
    this.state = state;
    this.since = this.now().toISOString();
  }
}

/** "5 s", "2 min". */
function seconds(ms: number): string {
  return ms < 60_000 ? `${Math.max(1, Math.round(ms / 1000))} s` : `${Math.round(ms / 6000) / 10} min`;
}

/** Environment variables that hold credentials, by name. */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|ENCRYPT_KEY|API_KEY|PRIVATE_KEY|CREDENTIAL/i;

/** The values of credential-like environment variables (TELEGRAM_BOT_TOKEN, LARK_APP_SECRET, …). */
export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value || !SECRET_NAME.test(name) || value.trim().length < 4) continue;
    out.add(value);
    out.add(encodeURIComponent(value)); // as it appears in a URL (a Telegram token has a ':')
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** A Telegram bot token anywhere in a text, even one not in the environment. */
const BOT_TOKEN = /\b\d{5,}:[A-Za-z0-9_-]{30,}\b/g;

export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  return out.replace(BOT_TOKEN, '[redacted]');
}

/** An error as one short line: its message only (no stack, no cause chain), secrets redacted. Never throws. */
export function describeError(err: unknown, secrets: readonly string[] = []): string {
  let text: string;
  try {
    if (err instanceof Error) text = String(err.message);
    else if (typeof err === 'string') text = err;
    else text = JSON.stringify(err) ?? String(err);
  } catch {
    text = 'an error that cannot be printed';
  }
  const firstFrame = text.search(/\n\s+at /); // a message that carries a stack trace keeps only its head
  if (firstFrame >= 0) text = text.slice(0, firstFrame);
  text = redactSecrets(text.replace(/\s+/g, ' ').trim(), secrets);
  return text.length > 300 ? `${text.slice(0, 299)}…` : text || 'no error message';
}
