// What the HTTP server needs from the running relay: exactly this, nothing more. app.ts/cli.ts build it;
// tests build it from a real Store in a temp dir and small fakes.
import type { Catalog } from '../catalog.ts';
import type { Post } from '../domain.ts';
import type { Logger } from '../log.ts';
import type { PlatformHealth } from '../ports.ts';
import type { Rules } from '../rules/schema.ts';
import type { Store } from '../store/store.ts';
import type { AlumniService } from '../alumni/service.ts';
import type { FeedbackService } from '../feedback/service.ts';

export interface ConsoleDeps {
  /** The relay's open store (its public methods only). */
  store: Store;
  /** The rules the relay runs on now (after the last hot reload). */
  rules(): Rules;
  /** The rules file the relay watches: the console saves here (atomically) and the watcher applies it. */
  rulesFile: string;
  catalog: Catalog;
  /** The relay's data directory: the audit log, rules versions and daily counters go under `console/`. */
  dataDir: string;
  /** Each platform connection's state (WeChat's `loginQr` while it waits for a scan). */
  health(): PlatformHealth[];
  now(): Date;
  /** Next scheduled digest per college (the scheduler's view). */
  nextRuns(): { collegeId: string; next: Date | null }[];
  /** Wakes the outbox after a dead delivery is put back in line. */
  kickOutbox(): void;
  logger: Logger;
  /**
   * Optional: subscribe to posts as they are stored or change. Without it the console reconciles the
   * store's recent posts every 2 s; with it the numbers move at once.
   */
  onPostChange?(listener: (post: Post) => void): () => void;
  /**
   * Optional: students' feedback (votes, clicks, learnt routing). Absent, or answering undefined (no
   * RELAY_SECRET), the 反馈 page says feedback is off and how to turn it on.
   */
  feedback?(): FeedbackService | undefined;
  /** Optional: the alumni records, mentors and message previews (the 校友 page); absent, the page says so. */
  alumni?(): AlumniService | undefined;
  /** Optional extra routes on the one server (the Lark webhook, tracked links) registered by their owners. */
  extraRoutes?: (app: import('fastify').FastifyInstance) => Promise<void> | void;
}

export interface ServerOptions {
  /** RELAY_ADMIN_PASSWORD: enables the login form. Unset: a one-time login URL is printed instead. */
  adminPassword?: string;
  /** RELAY_METRICS_PUBLIC=1: /metrics without a session. */
  metricsPublic?: boolean;
  /** A platform down longer than this makes /healthz answer 503. Default 5 minutes. */
  downAfterMs?: number;
  /** Login attempts per minute per address before 429. Default 5. */
  loginPerMinute?: number;
  /** Idle session lifetime. Default 12 hours. */
  sessionIdleMs?: number;
  /** Reconcile interval of the console's numbers. Default 2000 ms. */
  syncIntervalMs?: number;
  /** Behind a TLS-terminating proxy: mark cookies Secure. */
  secureCookies?: boolean;
}
