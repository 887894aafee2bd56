// Composition root: rules → store → classifier → pipeline → scheduler → digest → outbox → adapters.
// Everything platform-specific arrives as ready ChatAdapters; this file never imports an SDK.
import { randomUUID } from 'node:crypto';
import { loadCatalog, type Catalog } from './catalog.ts';
import { createClassifier, type RoutingConfig } from './classify/index.ts';
import { createJiebaTokenizer, warmJieba } from './classify/tokenizer.ts';
import { simhash } from './dedupe.ts';
import { composeDigest } from './digest/compose.ts';
import { handleAdminCommand, isAdmin } from './admin.ts';
import { ALUMNI_COLLEGE, storeEnqueue } from './alumni/requests.ts';
import { AlumniService, feedbackCounts as alumniFeedbackCounts } from './alumni/service.ts';
import { secretFromEnv } from './feedback/hash.ts';
import { linkRewriter } from './feedback/links.ts';
import { composePersonalDigest } from './feedback/personal-digest.ts';
import { voteHandler } from './feedback/vote-handler.ts';
import { mediaLinker } from './digest/media-link.ts';
import { feedbackCounts } from './feedback/stats.ts';
import { FeedbackService } from './feedback/service.ts';
import { acquireLock } from './lock.ts';
import { ConfigError } from './config-error.ts';
import type { Delivery, Digest, InboundMessage, Platform, PostImage } from './domain.ts';
import type { Logger } from './log.ts';
import { Outbox } from './outbox.ts';
import { createPipeline, type Outcome } from './pipeline.ts';
import { startMediaIntake, type MediaIntakeSetup } from './media/relay-media.ts';
import type { ActionHandler, ChatAdapter, PlatformHealth } from './ports.ts';
import { describeRulesChange, formatProblem, loadRulesFile, watchRules, type Rules } from './rules/index.ts';
import { DigestScheduler, schedulesOf } from './scheduler.ts';
import { Store } from './store/store.ts';
import { PlatformSupervisor, secretsFromEnv, type SupervisorOptions } from './supervisor.ts';
import type { ServerOptions } from './http/deps.ts';
import type { StartedServer } from './http/index.ts';
import { storeView } from './feedback/view.ts';

export interface RelayOptions {
  rulesFile: string;
  dataDir: string;
  /** The adapter serving each platform; in local mode one local adapter serves them all. */
  adapters: Map<Platform, ChatAdapter>;
  logger: Logger;
  catalog?: Catalog;
  /** Replace every college's schedule (demo mode on the local platform, tests). */
  scheduleOverride?: string;
  watchRules?: boolean;
  now?: () => Date;
  outboxIntervalMs?: number;
  retryBaseDelayMs?: number;
  /** Values never to log (default: credential-like variables of process.env). */
  secrets?: readonly string[];
  /** Platform start retries (tests shorten them); default 5 s doubling to 5 min. */
  restart?: Pick<SupervisorOptions, 'minDelayMs' | 'maxDelayMs' | 'random'>;
  /** RELAY_SECRET (default: from the environment); '' turns feedback off. */
  feedbackSecret?: string;
  /** RELAY_PUBLIC_URL (default: from the environment): tracked links point here. */
  publicUrl?: string;
  /** How often due personal subscriptions are looked for (default 60 s). */
  personalIntervalMs?: number;
  /** Pictures (OCR of posters): on by default when the OCR engine is installed; false = off; an object tunes it. Shared articles follow rules defaults.fetchLinks. */
  media?: MediaIntakeSetup | false;
  /** The one HTTP server (console, API, /healthz, /metrics); omitted = not started (most tests). */
  http?: ServerOptions & { port: number; host: string; announce?: (line: string) => void };
}

/** RELAY_HTTP_PORT (default 8080; 0 = any free port), RELAY_HTTP_HOST (default 127.0.0.1), RELAY_ADMIN_PASSWORD, RELAY_METRICS_PUBLIC=1. */
export function httpOptionsFromEnv(env: NodeJS.ProcessEnv): NonNullable<RelayOptions['http']> {
  const port = Number(env.RELAY_HTTP_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`RELAY_HTTP_PORT must be a port number (0–65535), not "${env.RELAY_HTTP_PORT}"`, ['RELAY_HTTP_PORT']);
  const http: NonNullable<RelayOptions['http']> = { port, host: env.RELAY_HTTP_HOST?.trim() || '127.0.0.1', metricsPublic: env.RELAY_METRICS_PUBLIC === '1' };
  if (env.RELAY_ADMIN_PASSWORD) http.adminPassword = env.RELAY_ADMIN_PASSWORD;
  return http;
}

export function routingConfig(rules: Rules): RoutingConfig {
  return {
    threshold: rules.defaults.detection.threshold,
    colleges: rules.colleges.map((c) => ({
      id: c.id,
      classes: c.classes,
      majors: c.majors,
      keywords: c.keywords,
      excludeKeywords: c.excludeKeywords,
      openToAll: c.openToAll,
    })),
  };
}

/** Builds the classifier for a rules version (college keywords go into jieba's dictionary). */
export function classifierFor(rules: Rules, catalog: Catalog) {
  const keywords = rules.colleges.flatMap((c) => [...c.keywords, ...c.excludeKeywords]);
  return createClassifier(catalog, routingConfig(rules), createJiebaTokenizer(keywords));
}

export type Relay = Awaited<ReturnType<typeof createRelay>>;

export async function createRelay(opts: RelayOptions) {
  const log = opts.logger;
  const catalog = opts.catalog ?? loadCatalog();
  const now = opts.now ?? (() => new Date());
  let rules = loadRulesFile(opts.rulesFile, catalog);
  let classifier = classifierFor(rules, catalog);
  // The lock first: a second relay must not even read a store another one is writing.
  const releaseLock = acquireLock(opts.dataDir);
  let store: Store;
  try {
    store = await Store.open(opts.dataDir, { logger: log.child({ stage: 'store' }) });
  } catch (err) {
    releaseLock();
    throw err;
  }
  let http: StartedServer | undefined;
  // Every adapter runs under a supervisor (one per adapter: the local one stands in for every
  // platform), so a platform that cannot start or goes down never stops the others.
  const secrets = opts.secrets ?? secretsFromEnv(process.env);
  const supervisors = new Map<ChatAdapter, PlatformSupervisor>();
  for (const adapter of new Set(opts.adapters.values())) {
    supervisors.set(adapter, new PlatformSupervisor(adapter, { logger: log, secrets, now, ...opts.restart }));
  }
  const byPlatform = new Map<Platform, PlatformSupervisor>([...opts.adapters].map(([p, a]) => [p, supervisors.get(a)!]));
  const adapters = [...supervisors.values()];

  const notifyAdmins = async (text: string) => {
    for (const admin of rules.admins) {
      const adapter = byPlatform.get(admin.platform);
      if (!adapter) continue;
      await adapter.send(admin.user, { format: 'plain', body: text }).catch((err) => log.warn({ err: String(err), admin: admin.user }, 'could not notify an admin'));
    }
  };

  // Opened after the pipeline (below); the outbox's hook only needs it by then.
  let alumni: AlumniService | undefined;
  const outbox = new Outbox(store, (p) => byPlatform.get(p), log.child({ stage: 'outbox' }), {
    maxAttempts: () => rules.defaults.maxSendAttempts,
    baseDelayMs: opts.retryBaseDelayMs,
    now,
    onDead: (d) => {
      const what = d.collegeId === ALUMNI_COLLEGE ? '校友群消息' : '内推速递';
      void notifyAdmins(`⚠ alumni-relay：发往 ${d.channel.platform}:${d.channel.chat} 的${what}（${d.digestId}）发送失败 ${d.attempts} 次，已停止重试。原因：${d.lastError ?? '未知'}。`);
    },
    onDelivered: () => alumni?.onDeliveryDelivered(),
  });

  // Students' votes, tracked links and personal subscriptions (src/feedback): on with RELAY_SECRET only,
  // since students are kept as a keyed hash of their platform id.
  const view = storeView(store, () => rules);
  const secret = opts.feedbackSecret === undefined ? secretFromEnv(process.env) : opts.feedbackSecret || undefined;
  const feedback = secret
    ? new FeedbackService({ dataDir: opts.dataDir, secret, catalog, view, now, logger: log.child({ stage: 'feedback' }), learn: { minVoters: rules.defaults.feedback.minVoters } })
    : undefined;
  if (!feedback) log.info('student feedback is off (set RELAY_SECRET, at least 16 characters, to turn on votes, tracked links and subscriptions)');
  const publicUrl = opts.publicUrl ?? process.env.RELAY_PUBLIC_URL;
  const trackLink = linkRewriter(secret, publicUrl);
  // Pictures a platform cannot carry become links to the relay (/r/p/…), with the same secret and address.
  const mediaLink = mediaLinker(secret, publicUrl);

  const pipeline = createPipeline({
    store,
    rules: () => rules,
    // Learnt routing (students' 👎/👍) applies to every new post; `classify` explains it the same way.
    classify: (text, at, tz) => {
      const c = classifier.classify(text, at, tz);
      return feedback ? feedback.adjust(c) : c;
    },
    fingerprint: simhash,
    logger: log.child({ stage: 'pipeline' }),
    now,
  });

  try {
    alumni = await AlumniService.open({
      store,
      rules: () => rules,
      catalog,
      dataDir: opts.dataDir,
      now,
      logger: log.child({ stage: 'alumni' }),
      enqueue: storeEnqueue(store, () => void outbox.drain(), now),
      isAdmin: (m) => isAdmin(rules, m),
      // "约 N 人" from the platform where the rules give no `members`.
      memberCount: (platform, chat) => byPlatform.get(platform)?.memberCount(chat) ?? Promise.resolve(undefined),
      ...(feedback && { feedbackCounts: () => alumniFeedbackCounts(feedback.clicks(), feedback.votes()) }),
    });
  } catch (err) {
    await store.close().catch(() => undefined);
    releaseLock();
    throw err;
  }
  const alumniService = alumni;

  /** Into the pipeline, then the alumni hook for a stored referral. Pictures come here after their OCR. */
  async function ingest(m: InboundMessage, media?: PostImage[]): Promise<Outcome> {
    const outcome = await pipeline.handle(m, media?.length ? { media } : undefined);
    if (outcome === 'stored' || outcome === 'merged') {
      const post = store.postBySource(m.platform, m.chatId, m.id);
      if (post) alumniService.onReferralStored(post);
    }
    return outcome;
  }
  // Picture messages from alumni groups: made durable at once, read (OCR) and ingested by a worker (src/media/intake.ts).
  const intake = startMediaIntake(opts.media, { dataDir: opts.dataDir, logger: log.child({ stage: 'media' }), store, ingest, rules: () => rules, adapterFor: (p) => opts.adapters.get(p) });

  /** Builds one college's digest now; records it with its deliveries in one write, then sends. */
  async function runDigest(collegeId: string, at: Date = now()): Promise<Digest | undefined> {
    const college = rules.colleges.find((c) => c.id === collegeId);
    if (!college) return undefined;
    const id = `dg-${collegeId}-${at.getTime().toString(36)}-${randomUUID().slice(0, 8)}`;
    const composed = composeDigest(rules, college, store.undigestedFor(collegeId), at, id, { votes: !!feedback, link: trackLink, mediaLink });
    if (!composed) {
      log.debug({ college: collegeId }, 'nothing new; no digest sent');
      return undefined;
    }
    const { digest } = composed;
    const deliveries: Delivery[] = college.channels.map((ch, i) => ({
      id: `${digest.id}-${i}`,
      digestId: digest.id,
      collegeId,
      channel: { platform: ch.platform, chat: ch.chat },
      parts: composed.render(ch.platform, { platform: ch.platform, chat: ch.chat }),
      sentParts: 0,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: at.toISOString(),
      createdAt: at.toISOString(),
    }));
    await store.recordDigest(digest, deliveries);
    log.info({ college: collegeId, items: digest.items.length, channels: deliveries.length }, 'digest built');
    void outbox.drain();
    return digest;
  }

  /** Retention (privacy.retentionDays): old posts and sender data leave the store, archives included. */
  async function prune(): Promise<void> {
    const result = await store.prune(now(), rules.privacy.retentionDays);
    if (result.posts || result.digests || result.deliveries) log.info({ ...result, retentionDays: rules.privacy.retentionDays }, 'old data pruned');
    if (result.posts) await feedback?.dropPosts((postId) => !!store.postById(postId));
    intake.sweep(store);
  }

  /**
   * Personal subscriptions due now: each subscriber's new posts of their classes/majors as one small digest
   * to their private chat, through the outbox (retries, dead letter), recorded as an '@personal' record.
   */
  async function sendPersonalDigests(): Promise<void> {
    if (!feedback) return;
    for (const { sub, posts } of await feedback.due()) {
      const at = now();
      const id = `dp-${at.getTime().toString(36)}-${randomUUID().slice(0, 8)}`;
      const { digest, delivery } = composePersonalDigest(rules, sub, posts, at, id, { link: trackLink, mediaLink });
      await store.recordDigest(digest, [delivery]);
      await feedback.markSent(sub, at);
      log.info({ platform: sub.platform, items: posts.length }, 'personal digest queued');
    }
    void outbox.drain();
  }
  let personalTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let pruneTimer: NodeJS.Timeout | undefined;

  // The relay's clock, not the cron fire time: tests (and any injected clock) must see one time.
  const scheduler = new DigestScheduler((collegeId) => runDigest(collegeId), log.child({ stage: 'scheduler' }));
  let watcher: { close(): void } | undefined;

  function applyRules(next: Rules): void {
    const changes = describeRulesChange(rules, next);
    classifier = classifierFor(next, catalog);
    rules = next;
    scheduler.apply(schedulesOf(rules, opts.scheduleOverride));
    log.info({ changes }, 'rules reloaded');
  }

  /** Button presses: a vote on a digest item; the answer is the presser's toast. */
  const actionHandlerFor = (served: readonly Platform[]): ActionHandler => voteHandler({ feedback, rules: () => rules, served, logger: log });

  /** A college's student channel: read for votes only, never a source. */
  const isStudentChannel = (platform: Platform, chat: string) => rules.colleges.some((c) => c.channels.some((ch) => ch.platform === platform && ch.chat === chat));

  const startedAt = now();
  /** Admin commands first (never stored as posts), then the pipeline. Never throws. */
  async function onMessage(m: InboundMessage): Promise<void> {
    // Alumni commands first (guide, opt-out, mentors): never admin commands, never referrals.
    try {
      if ((await alumniService.handleCommand(m)).handled) return;
    } catch (err) {
      log.error({ err }, 'alumni command failed');
      return;
    }
    try {
      const admin = await handleAdminCommand(m, {
        store,
        rules: () => rules,
        now,
        nextRuns: () => scheduler.nextRuns(),
        startedAt,
        ...(feedback && { feedback: () => feedbackCounts(feedback, view) }),
      });
      if (admin.command) {
        if (admin.reply) await byPlatform.get(m.platform)?.send(m.chatId, { format: 'plain', body: admin.reply });
        log.info({ platform: m.platform, chat: m.chatId, sender: m.senderId, answered: Boolean(admin.reply) }, 'admin command');
        return;
      }
    } catch (err) {
      log.error({ err }, 'admin command failed');
      return;
    }
    const where = m.chatType === 'private' ? 'private' : isStudentChannel(m.platform, m.chatId) ? 'group' : undefined;
    if (where && feedback) {
      try {
        const answer = await feedback.handleText(m, where);
        if (answer) {
          if (answer.reply) await byPlatform.get(m.platform)?.send(m.chatId, { format: 'plain', body: answer.reply });
          return;
        }
      } catch (err) {
        log.error({ err }, 'feedback command failed');
        return;
      }
    }
    // A student channel's chatter is never a referral (the pipeline would refuse it too).
    if (where === 'group') return;
    if (intake.wants(m) && pipeline.isSource(m)) return intake.accept(m);
    await ingest(m);
  }

  return {
    store,
    outbox,
    onMessage,
    pipeline,
    /** Picture and article messages waiting to be read. */
    media: intake,
    scheduler,
    alumni: alumniService,
    /** Students' votes, clicks and subscriptions; undefined without RELAY_SECRET. */
    feedback,
    sendPersonalDigests,
    /** The classification a text gets now (learnt routing included), for `classify`-style explanations. */
    classify: (text: string, at: Date = now()) => {
      const c = classifier.classify(text, at, rules.defaults.timezone);
      return feedback ? feedback.adjust(c) : c;
    },
    runDigest,
    rules: () => rules,
    /** How each platform connection is doing (one entry per adapter), for /healthz and the console. */
    health(): PlatformHealth[] {
      return adapters.map((a) => a.health());
    },
    async start() {
      // In parallel, and never rejecting: a platform that cannot start is logged and retried in the background.
      await Promise.all(
        adapters.map((adapter) => adapter.start(onMessage, actionHandlerFor([...byPlatform].filter(([, a]) => a === adapter).map(([p]) => p)))),
      );
      scheduler.apply(schedulesOf(rules, opts.scheduleOverride));
      outbox.start(opts.outboxIntervalMs ?? 1000);
      if (feedback) {
        const tick = () => {
          void sendPersonalDigests()
            .catch((err) => log.error({ err }, 'personal digests failed'))
            .finally(() => {
              if (personalTimer) personalTimer = setTimeout(tick, opts.personalIntervalMs ?? 60_000).unref();
            });
        };
        personalTimer = setTimeout(tick, 0).unref();
      }
      intake.start();
      await prune();
      pruneTimer = setInterval(() => void prune().catch((err) => log.error({ err }, 'pruning failed')), 6 * 3600_000);
      pruneTimer.unref();
      if (opts.watchRules !== false) {
        watcher = watchRules(opts.rulesFile, catalog, {
          onChange: applyRules,
          onError: (err) => log.error({ problems: err.problems.map(formatProblem) }, 'rules edit rejected; keeping the last good rules'),
        });
      }
      if (opts.http) {
        // Loaded only when the server runs: Fastify and its plugins stay out of CLI commands and most tests.
        const { startHttpServer } = await import('./http/index.ts');
        http = await startHttpServer(
          {
            store,
            rules: () => rules,
            rulesFile: opts.rulesFile,
            catalog,
            dataDir: opts.dataDir,
            health: () => adapters.map((a) => a.health()),
            now,
            nextRuns: () => scheduler.nextRuns(),
            kickOutbox: () => void outbox.drain(),
            logger: log.child({ stage: 'http' }),
            feedback: () => feedback,
            alumni: () => alumniService,
            extraRoutes: async (app) => {
              const { feedbackRoutes } = await import('./http/routes-feedback.ts');
              feedbackRoutes(app, { feedback: () => feedback, view, catalog });
              const { mediaRoutes } = await import('./http/routes-media.ts');
              mediaRoutes(app, { dataDir: opts.dataDir, secret });
            },
          },
          opts.http,
        ).catch((err: NodeJS.ErrnoException) => {
          // The relay's own work goes on without its console; say plainly what to change.
          const why = err.code === 'EADDRINUSE' ? `port ${opts.http!.port} is in use: set RELAY_HTTP_PORT to a free port` : err.message;
          log.error(`console not started: ${why}`);
          return undefined;
        });
      }
      // jieba's dictionary (≈ 0.3 s, native) and the alumni ledger's first sync (≈ 0.2 s over 100k posts)
      // come once every platform and the console listen, each in its own turn of the event loop: a restart
      // takes messages sooner. Chit-chat is judged without jieba; a referral before then loads it itself.
      // Nothing the ledger plans (thanks, acknowledgements) is urgent.
      setImmediate(() => {
        if (!stopped) warmJieba();
        setImmediate(() => {
          if (!stopped) alumniService.start(60_000);
        });
      });
    },
    /** The console's address once started (undefined without `http`). */
    httpUrl: () => http?.url,
    async stop() {
      stopped = true;
      await http?.close().catch((err: unknown) => log.warn({ err }, 'http server did not close cleanly'));
      watcher?.close();
      clearInterval(pruneTimer);
      clearTimeout(personalTimer);
      personalTimer = undefined;
      scheduler.stop();
      await outbox.stop(); // let an in-flight send finish while the adapters are still up
      await alumniService.stop().catch((err: unknown) => log.warn({ err }, 'alumni state did not close cleanly'));
      await feedback?.close().catch((err: unknown) => log.warn({ err }, 'feedback state did not close cleanly'));
      for (const adapter of adapters) await adapter.stop().catch((err) => log.warn({ err }, 'adapter stop failed'));
      await intake.stop().catch((err: unknown) => log.warn({ err }, 'picture intake did not stop cleanly'));
      await store.close();
      releaseLock();
    },
  };
}
