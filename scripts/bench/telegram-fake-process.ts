// The loopback Bot API (TelegramLimitsFake) in a child process of its own. Telegram's servers do not
// run on the relay's cores: with the fake in the bench's process, every getUpdates it answers and every
// sendMessage it checks takes turns on the relay's event loop. Here the relay's process does only the
// relay's work; the two still share the machine's cores (2 on the bench VM), which the report says.
//
// Arrival times cross the process boundary as epoch milliseconds with sub-millisecond precision
// (performance.timeOrigin + performance.now()): `epochNow()` in the parent is on the same clock.
// Run as a child: node --import tsx scripts/bench/telegram-fake-process.ts (fork() below does it).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Arrival, type Limit, TelegramLimitsFake } from './telegram-limits-fake.ts';

export const epochNow = () => performance.timeOrigin + performance.now();

type PushMessage = { chatId: number; title: string; senderId: number; text: string };

/** Parent → child. */
type Request = { id: number; op: 'start' } | { id: number; op: 'push'; messages: PushMessage[] } | { id: number; op: 'stats' } | { id: number; op: 'stop' };

export interface FakeStats {
  accepted: Arrival[];
  refused: number;
  refusedBy: Record<Limit, number>;
  earlyByMs: number[];
  calls: Record<string, number>;
  updatesServed: number;
}

/** Child → parent: a reply to a request, or an accepted send as it happens. */
type Reply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: string } | { accepted: Arrival };

/** The parent's handle on the fake in its child process; the same surface the bench uses of TelegramLimitsFake. */
export class TelegramFakeProcess {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Called for each accepted sendMessage (its `at` on the epochNow() clock). */
  onAccepted: ((a: Arrival) => void) | undefined;

  constructor(readonly token = '123456:BENCH') {}

  async start(): Promise<string> {
    const tsx = fileURLToPath(import.meta.resolve('tsx'));
    this.child = fork(fileURLToPath(import.meta.url), ['--child', this.token], { execArgv: ['--import', tsx], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: Reply) => {
      if ('accepted' in m) return this.onAccepted?.(m.accepted);
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.ok) w?.resolve(m.value);
      else w?.reject(new Error(m.error));
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`the Telegram fake's process exited (${code})`));
      this.waiting.clear();
    });
    return (await this.call({ op: 'start' })) as string;
  }

  push(messages: PushMessage[]): Promise<void> {
    return this.call({ op: 'push', messages }) as Promise<void>;
  }

  stats(): Promise<FakeStats> {
    return this.call({ op: 'stats' }) as Promise<FakeStats>;
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child!.once('exit', r));
    await this.call({ op: 'stop' }).catch(() => {});
    this.child.disconnect();
    await exited;
  }

  private call(req: { op: Request['op']; messages?: PushMessage[] }): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child!.send({ ...req, id });
    });
  }
}

async function child(token: string): Promise<void> {
  const fake = new TelegramLimitsFake(token, epochNow);
  const send = (m: Reply) => process.send!(m);
  fake.onAccepted = (accepted) => send({ accepted });
  process.on('message', async (req: Request) => {
    try {
      if (req.op === 'start') send({ id: req.id, ok: true, value: await fake.start() });
      else if (req.op === 'push') send({ id: req.id, ok: true, value: fake.push(req.messages) });
      else if (req.op === 'stats') {
        const { accepted, refused, refusedBy, earlyByMs, calls, updatesServed } = fake;
        send({ id: req.id, ok: true, value: { accepted, refused, refusedBy, earlyByMs, calls, updatesServed } satisfies FakeStats });
      } else {
        await fake.stop();
        send({ id: req.id, ok: true });
      }
    } catch (err) {
      send({ id: req.id, ok: false, error: String(err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[2] === '--child') await child(process.argv[3]!);
