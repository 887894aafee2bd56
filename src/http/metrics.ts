// GET /metrics in the Prometheus text format (prom-client), every name prefixed relay_. Values are read
// from the store's counters and the console tracker when scraped; nothing here walks the posts.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConsoleTracker } from '../console/tracker.ts';
import { ALL } from '../console/aggregate.ts';
import type { Store } from '../store/store.ts';

export interface Metrics {
  registry: Registry;
  observeSend(seconds: number): void;
  observeDigest(items: number): void;
}

export function createMetrics(store: Store, tracker: () => ConsoleTracker, colleges: () => string[]): Metrics {
  const registry = new Registry();
  const outcome = ['received', 'ignored', 'notJob', 'scams', 'stored', 'merged', 'errors'] as const;
  new Counter({
    name: 'relay_messages_total',
    help: 'Group messages by outcome (received counts every one; the others split them).',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      const c = store.counters();
      this.reset();
      for (const k of outcome) this.inc({ outcome: k }, c[k]);
    },
  });
  new Gauge({
    name: 'relay_referrals',
    help: 'Stored referrals (active) per college, all time the store holds.',
    labelNames: ['college'],
    registers: [registry],
    collect() {
      this.reset();
      const totals = tracker().agg.totals();
      for (const c of colleges()) this.set({ college: c }, totals.get(c) ?? 0);
      this.set({ college: 'all' }, totals.get(ALL) ?? 0);
    },
  });
  new Gauge({
    name: 'relay_deliveries',
    help: 'Deliveries in the outbox by status (recent window).',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      const c = tracker().deliveryCounts;
      for (const [k, v] of Object.entries(c)) this.set({ status: k }, v);
    },
  });
  new Gauge({
    name: 'relay_dead_letters',
    help: 'Deliveries given up on, waiting for an admin to retry.',
    registers: [registry],
    collect() {
      this.set(tracker().deliveryCounts.dead);
    },
  });
  new Gauge({
    name: 'relay_scams_held',
    help: 'Suspected scams held for review now.',
    registers: [registry],
    collect() {
      this.set(tracker().held.size);
    },
  });
  const send = new Histogram({
    name: 'relay_send_latency_seconds',
    help: 'From a digest being built to its last part accepted by the platform.',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600],
    registers: [registry],
  });
  const digest = new Histogram({
    name: 'relay_digest_items',
    help: 'Referrals per digest.',
    buckets: [1, 2, 5, 10, 20, 30, 50],
    registers: [registry],
  });
  return { registry, observeSend: (s) => send.observe(Math.max(0, s)), observeDigest: (n) => digest.observe(n) };
}
