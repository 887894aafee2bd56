// Concurrency for inbound messages: chats run in parallel, each chat's messages in order.
// Adapters feed the pipeline through one of these so a busy group never holds up the others, while
// "posted second" never overtakes "posted first" within a group (merges and replies depend on it).

export interface ChatQueueOptions {
  /** Most tasks running at once across all chats; default 32. */
  concurrency?: number;
  /** Most tasks waiting (queued, not running) before `push` refuses; default 10 000. */
  maxQueued?: number;
}

interface Task {
  key: string;
  run: () => Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Runs tasks keyed by chat: at most one running per key, at most `concurrency` in all, FIFO within a
 * key and fair across keys (a key with a long backlog does not starve a new one).
 * `push` resolves or rejects with the task's own outcome, so a caller can acknowledge a platform
 * event only once its task (the durable store write) is done.
 */
export class ChatQueue {
  private readonly concurrency: number;
  private readonly maxQueued: number;
  /** Waiting tasks per key, in arrival order; a key is present while it has waiting tasks. */
  private readonly waiting = new Map<string, Task[]>();
  /** Keys with a task running now. */
  private readonly busy = new Set<string>();
  private running = 0;
  private queued = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: ChatQueueOptions = {}) {
    this.concurrency = Math.max(1, opts.concurrency ?? 32);
    this.maxQueued = Math.max(1, opts.maxQueued ?? 10_000);
  }

  /** Tasks waiting to run (not counting those running). */
  get size(): number {
    return this.queued;
  }

  /** Tasks running now. */
  get active(): number {
    return this.running;
  }

  /** Queues `run` behind the earlier tasks of `key`. Rejects at once with QueueFullError when full. */
  push(key: string, run: () => Promise<void>): Promise<void> {
    if (this.queued >= this.maxQueued) return Promise.reject(new QueueFullError(this.maxQueued));
    return new Promise<void>((resolve, reject) => {
      const task: Task = { key, run, resolve, reject };
      const list = this.waiting.get(key);
      if (list) list.push(task);
      else this.waiting.set(key, [task]);
      this.queued++;
      this.pump();
    });
  }

  /** Resolves when nothing is running or waiting. */
  onIdle(): Promise<void> {
    if (this.running === 0 && this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (this.running >= this.concurrency) return;
    // Map iteration order is insertion order; a key re-enters at the back after each task (below),
    // which makes the scan round-robin across chats.
    for (const [key, list] of this.waiting) {
      if (this.running >= this.concurrency) return;
      if (this.busy.has(key)) continue;
      const task = list.shift()!;
      this.waiting.delete(key);
      if (list.length) this.waiting.set(key, list);
      this.queued--;
      this.start(task);
    }
  }

  private start(task: Task): void {
    this.running++;
    this.busy.add(task.key);
    let outcome: Promise<void>;
    try {
      outcome = task.run();
    } catch (err) {
      outcome = Promise.reject(err);
    }
    outcome.then(task.resolve, task.reject).finally(() => {
      this.running--;
      this.busy.delete(task.key);
      this.pump();
      if (this.running === 0 && this.queued === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    });
  }
}

export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`inbound queue full (${limit} messages waiting)`);
    this.name = 'QueueFullError';
  }
}
