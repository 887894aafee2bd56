// The paced send queue. 2026-11: the web protocol is unmaintained and ban-prone, and bursts trigger
// "发送消息过于频繁" (https://github.com/Urinx/WeixinBot/issues/149), so every send — each part of a
// split message too — goes out alone, with a jittered pause after the previous one.
import { AdapterError } from '../../src/ports.ts';

/** Sends one at a time, with a jittered pause between the end of one send and the start of the next. */
export class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  private lastEnd = 0;
  private closed = false;
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; done: () => void }>();

  constructor(
    private readonly spacingMs: [number, number],
    private readonly random: () => number = Math.random,
  ) {
    if (!(spacingMs[0] >= 0 && spacingMs[1] >= spacingMs[0])) throw new RangeError('sendSpacingMs must be [min, max] with 0 ≤ min ≤ max');
  }

  /** Runs `job` after every earlier job; `pace(fn)` waits out the spacing, then runs one platform call. */
  run<T>(job: (pace: <R>(call: () => Promise<R>) => Promise<R>) => Promise<T>): Promise<T> {
    const result = this.tail.then(() => {
      if (this.closed) throw new AdapterError('wechat', 'send', 'adapter stopped');
      return job((call) => this.pace(call));
    });
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async pace<R>(call: () => Promise<R>): Promise<R> {
    if (this.lastEnd) {
      const [min, max] = this.spacingMs;
      const gap = min + Math.round(this.random() * (max - min));
      const wait = this.lastEnd + gap - Date.now();
      if (wait > 0) await this.sleep(wait);
    }
    if (this.closed) throw new AdapterError('wechat', 'send', 'adapter stopped');
    try {
      return await call();
    } finally {
      this.lastEnd = Date.now(); // a failed call counts towards WeChat's frequency too
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => sleeper.done(), ms),
        done: () => {
          clearTimeout(sleeper.timer);
          this.sleepers.delete(sleeper);
          resolve();
        },
      };
      this.sleepers.add(sleeper);
    });
  }

  /** Rejects queued and waiting sends; a call already on the wire finishes. */
  close(): void {
    this.closed = true;
    for (const s of [...this.sleepers]) s.done();
  }
}
