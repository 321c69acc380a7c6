import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { canonicalMessage } from '@tsbit/contracts';
import type { Artifact, BuildInputs, BuildMode } from '@tsbit/domain';
import { buildQueueOptions, buildRoutingKey, PermanentFailure, RetryLater, topologyNames } from '@tsbit/messaging';
import { counter, createHttpServer, histogram, type Logger } from '@tsbit/service-kit';
import { ApiRejected, ApiUnavailable, type ApiClient, type JobState } from './api-client';
import { MalformedRequest, parseBuildRequest, type BuildJob } from './build-request';
import { runBuild, type BuildOutcome } from './build-runner';
import type { BuilderSettings } from './config';
import { chrootSha256, decideArchSupport, planFor, probeHost, type ArchSupport } from './host';

/** A final report must reach the scheduler: retried this often before the lease has to do. */
/** A job the read model does not show is polled for this long before it counts as deleted. */
const UNKNOWN_JOB_WAIT_MS = 1000;
const UNKNOWN_JOB_POLL_MS = 10;
const REPORT_ATTEMPTS = 5;
const REPORT_BACKOFF_MS = 500;
/** Cancels for builds this builder has not started, remembered so that their requests are skipped. */
const MAX_EARLY_CANCELS = 1000;

const buildsTotal = counter('tsbit_builds_total', 'Builds this builder finished, by result', ['result']);
const buildDuration = histogram('tsbit_build_duration_seconds', 'Time from start to report of a build', ['result'], [
  1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200,
]);

/** What the builder needs of @tsbit/messaging's Broker. */
export interface BuilderBroker {
  publish(exchange: string, routingKey: string, body: unknown, options: { messageId: string }): Promise<unknown>;
  consume(options: {
    queue: string;
    bindings: { exchange: string; routingKey: string }[];
    queueOptions?: Record<string, unknown>;
    prefetch: number;
    handler: (message: { body: unknown }) => Promise<void>;
  }): Promise<{ cancel(): Promise<void> }>;
}

export interface BuilderDeps {
  broker: BuilderBroker;
  api: ApiClient;
  logger: Logger;
  config: BuilderSettings & { prefix: string };
  clock?: () => Date;
  /** The environment builds start from (TSBIT_* removed); defaults to the process's. */
  env?: NodeJS.ProcessEnv;
  /** How the machine serves each configured (suite, arch), asked at start and before each hello; defaults to probing it. */
  archSupport?: () => Promise<ArchSupport>;
}

export interface Builder {
  app: FastifyInstance;
  start(): Promise<void>;
  /** Stops taking work, hands running builds back (failed, builder_shutdown), reports them. */
  close(): Promise<void>;
  /** The (jobId, attempt) of the builds running now. */
  running(): { jobId: number; attempt: number }[];
}

interface RunningBuild {
  job: BuildJob;
  controller: AbortController;
  done: Promise<void>;
}

type ReportBody =
  | {
      hello: {
        arches: string[];
        suites: string[];
        formats: string[];
        slots: number;
        archSupport: { arch: string; suite: string; mode: BuildMode; chroot: string }[];
        unavailable: { arch: string; suite: string; reason: string; fix: string }[];
      };
    }
  | { heartbeat: { running: { jobId: number; attempt: number }[] } }
  | { started: { jobId: number; attempt: number; mode: BuildMode | '' } }
  | { succeeded: { jobId: number; attempt: number; artifacts: Artifact[]; inputs: BuildInputs } }
  | { failed: { jobId: number; attempt: number; failureClass: string; code: string; message: string; artifacts: Artifact[] } }
  | { cancelled: { jobId: number; attempt: number } };

const keyOf = (job: { jobId: number; attempt: number }): string => `${job.jobId}:${job.attempt}`;

/** Statuses in which a job will not be built by this request. */
const SKIP_STATUSES = new Set(['Cancelled', 'Cancelling', 'Done', 'Failed', 'Building', 'Uploaded']);

/**
 * The build client: takes BuildRequests from the queues of every (format, suite, arch) it serves,
 * builds them, uploads the results over the public API and reports over RabbitMQ. It never
 * touches a database.
 */
export function createBuilder(deps: BuilderDeps): Builder {
  const { broker, api, logger, config } = deps;
  const clock = deps.clock ?? (() => new Date());
  const names = topologyNames(config.prefix);
  const builds = new Map<string, RunningBuild>();
  const earlyCancels = new Set<string>();
  const slotWaiters: (() => void)[] = [];
  let buildConsumers: { cancel(): Promise<void> }[] = [];
  /** The queue names buildConsumers consume. */
  let consumedQueues = '';
  let controlConsumer: { cancel(): Promise<void> } | undefined;
  let started = false;
  let closing = false;
  /** Drained by an admin (BuilderControl.drain): runs its builds to the end, consumes no request. */
  let drained = false;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let beats = 0;
  let reportSequence = 0;
  let consumerChange: Promise<void> = Promise.resolve();

  const app = createHttpServer({ logger, ready: () => started && !closing });

  const report = async (body: ReportBody, messageId: string): Promise<void> => {
    const message = canonicalMessage('BuilderReport', { builder: config.name, sentAt: clock().toISOString(), ...body });
    await broker.publish(names.reports, 'report', message, { messageId });
  };
  /** Final reports are retried: losing one would leave the job to the lease. */
  const reportReliably = async (body: ReportBody, messageId: string): Promise<void> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await report(body, messageId);
        return;
      } catch (error) {
        if (attempt >= REPORT_ATTEMPTS) throw error;
        logger.warn({ err: error, messageId, attempt }, 'report not confirmed; retrying');
        await delay(REPORT_BACKOFF_MS * 2 ** (attempt - 1));
      }
    }
  };

  // --- what this machine can build ------------------------------------------------------------
  const askArchSupport = deps.archSupport ?? (() => probeArchSupport(config));
  /** The (suite, arch) pairs that work now; only their arches are advertised and consumed. */
  let support: ArchSupport = { plans: [], unavailable: [], arches: [] };
  /**
   * Asks again how each configured arch can be built, so that a chroot made (or lost) while the
   * builder runs is picked up at the next hello; says what changed, each gap with its fix.
   */
  const refreshArchSupport = async (): Promise<void> => {
    let next: ArchSupport;
    try {
      next = await askArchSupport();
    } catch (error) {
      logger.warn({ err: error }, 'cannot probe the machine; keeping what it served so far');
      return;
    }
    if (JSON.stringify(next) === JSON.stringify(support)) return;
    support = next;
    for (const plan of support.plans) logger.info({ arch: plan.arch, suite: plan.suite, mode: plan.mode, chroot: plan.chroot }, `serving ${plan.suite}/${plan.arch} (${plan.mode})`);
    for (const gap of support.unavailable) {
      logger.warn({ arch: gap.arch, suite: gap.suite, code: gap.code, fix: gap.fix }, `not serving ${gap.suite}/${gap.arch}: ${gap.reason}. Fix: ${gap.fix}`);
    }
    if (support.arches.length === 0) logger.error({ arches: config.arches }, 'no architecture can be built here: this builder takes no work until one of the fixes above is made');
    await adjustConsumers().catch(() => undefined);
  };
  const modeFor = (job: BuildJob): BuildMode | '' => {
    if (job.format === 'rpm') return 'native';
    const plan = planFor(support, job.suite, job.arch);
    return plan && 'mode' in plan ? plan.mode : '';
  };

  const hello = async (): Promise<void> => {
    // The scheduler knows builders by what they build: one that builds nothing says nothing.
    if (support.arches.length === 0) return;
    await report(
      {
        hello: {
          arches: support.arches,
          suites: config.suites,
          formats: config.formats,
          slots: config.slots,
          archSupport: support.plans.map(({ arch, suite, mode, chroot }) => ({ arch, suite, mode, chroot })),
          unavailable: support.unavailable.map(({ arch, suite, reason, fix }) => ({ arch, suite, reason, fix })),
        },
      },
      `${config.name}:hello:${clock().getTime()}:${++reportSequence}`,
    );
  };
  const heartbeat = async (): Promise<void> => {
    beats += 1;
    try {
      await report({ heartbeat: { running: runningList() } }, `${config.name}:heartbeat:${clock().getTime()}:${++reportSequence}`);
      // Hello again now and then, so that a scheduler that lost track of this builder learns it again.
      if (beats % config.helloEvery === 0 && !closing) {
        await refreshArchSupport();
        await hello();
      }
    } catch (error) {
      logger.warn({ err: error }, 'heartbeat not confirmed');
    }
  };
  const runningList = (): { jobId: number; attempt: number }[] =>
    [...builds.values()].map(({ job }) => ({ jobId: job.jobId, attempt: job.attempt }));

  // --- slots: the build queues are consumed only while a slot is free ------------------------
  let reserved = 0;
  const freeSlots = (): number => config.slots - builds.size - reserved;
  /** Waits for a free slot and holds it; false when the builder is closing instead. */
  const reserveSlot = async (): Promise<boolean> => {
    while (freeSlots() <= 0 && !closing) await new Promise<void>((resolve) => slotWaiters.push(resolve));
    if (closing) return false;
    reserved += 1;
    void adjustConsumers();
    return true;
  };
  const releaseSlot = (): void => {
    slotWaiters.splice(0).forEach((wake) => wake());
    void adjustConsumers();
  };
  /**
   * A builder with every slot busy stops consuming, so that requests stay in the queue for idle
   * builders instead of waiting in this one's prefetch; it starts again when a slot frees.
   * Changes run one after the other; a failed one is logged and tried again at the next change.
   */
  const syncConsumers = async (): Promise<void> => {
    const queues = buildQueues();
    const served = queues.map((queue) => queue.queue).join(' ');
    const wanted = !closing && !drained && freeSlots() > 0 && queues.length > 0;
    // The queues change with the architectures that work: consume anew when they do.
    if (buildConsumers.length > 0 && (!wanted || served !== consumedQueues)) {
      const consumers = buildConsumers;
      buildConsumers = [];
      await Promise.all(consumers.map((consumer) => consumer.cancel()));
    }
    if (wanted && buildConsumers.length === 0) {
      const created: { cancel(): Promise<void> }[] = [];
      try {
        for (const queue of queues) created.push(await broker.consume(queue));
      } catch (error) {
        await Promise.allSettled(created.map((consumer) => consumer.cancel()));
        throw error;
      }
      buildConsumers = created;
      consumedQueues = served;
    }
  };
  const adjustConsumers = (): Promise<void> => {
    const next = consumerChange.then(syncConsumers);
    consumerChange = next.catch((error: unknown) => logger.error({ err: error }, 'cannot change the build queue consumers'));
    return next;
  };

  const buildQueues = () =>
    config.formats.flatMap((format) =>
      config.suites.flatMap((suite) =>
        support.arches.map((arch) => {
          const routingKey = buildRoutingKey({ format, suite, arch });
          return {
            queue: names.buildQueue(routingKey),
            bindings: [{ exchange: names.builds, routingKey }],
            // As the scheduler declares them: a redeclaration with other arguments is refused.
            queueOptions: buildQueueOptions(config.prefix),
            prefetch: config.slots,
            handler: onBuildRequest,
          };
        }),
      ),
    );

  // --- a BuildRequest --------------------------------------------------------------------------
  async function onBuildRequest({ body }: { body: unknown }): Promise<void> {
    let job: BuildJob;
    try {
      job = parseBuildRequest(body);
    } catch (error) {
      if (error instanceof MalformedRequest) throw new PermanentFailure(error.message);
      throw error;
    }
    const log = logger.child({ jobId: job.jobId, attempt: job.attempt });
    // One taken from the prefetch just before a drain goes back for another builder.
    if (drained) throw new RetryLater('the builder is drained');
    // A rebuild check must be built elsewhere: back to the queue (through the retry queue's
    // back-off, not at once to this same consumer), reporting nothing. The scheduler sends one
    // only while another builder serves the queue, so another takes it.
    if (job.avoidBuilder === config.name) {
      log.info('handed back: a rebuild check of a job this builder built must be built by another');
      throw new RetryLater(`a rebuild check must be built by a builder other than ${config.name}`);
    }
    if (!(await reserveSlot())) throw new RetryLater('the builder is shutting down');
    let begin: (() => void) | undefined;
    try {
      begin = await admit(job, log);
    } finally {
      reserved -= 1;
      if (!begin) releaseSlot();
    }
    // Returning acks the request: from now on a lost builder is the scheduler's lease business.
    begin?.();
  }

  /**
   * Checks the job, registers the build and reports it Started; returns what starts the build
   * (after the ack), or undefined when the request is skipped.
   */
  async function admit(job: BuildJob, log: Logger): Promise<(() => void) | undefined> {
    const key = keyOf(job);
    if (builds.has(key)) {
      log.info('skipped: this builder is already building it');
      return undefined;
    }
    if (earlyCancels.delete(key)) {
      log.info('skipped: cancelled before it started');
      buildsTotal.inc({ result: 'skipped' });
      return undefined;
    }
    const skip = await whyNotBuild(job);
    if (skip) {
      log.info({ reason: skip }, 'skipped');
      buildsTotal.inc({ result: 'skipped' });
      return undefined;
    }
    if (closing) throw new RetryLater('the builder is shutting down');

    const controller = new AbortController();
    let begin!: () => void;
    const go = new Promise<void>((resolve) => (begin = resolve));
    const entry: RunningBuild = { job, controller, done: go.then(() => execute(entry)) };
    // Registered before Started is published, so that a cancel that follows it finds the build.
    builds.set(key, entry);
    try {
      await report({ started: { jobId: job.jobId, attempt: job.attempt, mode: modeFor(job) } }, `${config.name}:${key}:started`);
    } catch (error) {
      builds.delete(key);
      throw new RetryLater(`Started not confirmed: ${(error as Error).message}`);
    }
    log.info({ package: job.package, version: job.version, source: job.source.method }, 'build started');
    return begin;
  }

  /** Undefined when the request should be built; otherwise why it is skipped. */
  /**
   * pyBit's check before a build: skip a request the read model already shows to be over. A read
   * model that shows an older attempt merely lags, and is no reason to wait: the scheduler's
   * decider refuses the Started of an attempt that is not current and cancels it here.
   */
  async function whyNotBuild(job: BuildJob): Promise<string | undefined> {
    const deadline = Date.now() + UNKNOWN_JOB_WAIT_MS;
    let state: JobState | undefined;
    for (;;) {
      try {
        state = await api.getJob(job.jobId);
      } catch (error) {
        if (error instanceof ApiUnavailable || error instanceof ApiRejected) {
          logger.warn({ err: error, jobId: job.jobId }, 'cannot check the job; the request will come back');
          throw new RetryLater(error.message);
        }
        throw error;
      }
      if (state) break;
      // Unknown: deleted, or submitted so recently that the read model has not caught up.
      if (Date.now() >= deadline) return 'the job was deleted';
      await delay(UNKNOWN_JOB_POLL_MS);
    }
    if (state.attempt > job.attempt) return `stale request: the job is at attempt ${state.attempt}`;
    if (state.status === 'Cancelled' || state.status === 'Cancelling') return `the job is ${state.status}`;
    if (state.attempt === job.attempt && SKIP_STATUSES.has(state.status)) return `attempt ${job.attempt} is already ${state.status}`;
    return undefined;
  }

  async function execute(entry: RunningBuild): Promise<void> {
    const { job } = entry;
    const key = keyOf(job);
    const began = Date.now();
    const log = logger.child({ jobId: job.jobId, attempt: job.attempt });
    let outcome: BuildOutcome;
    try {
      outcome = await runBuild({
        job,
        builderName: config.name,
        workDir: config.workDir,
        backend: config.backend,
        chrootDir: config.chrootDir,
        repositoryUrl: config.repositoryUrl,
        ...(config.aptSources ? { aptSources: config.aptSources } : {}),
        keepFailed: config.keepFailed,
        buildTimeoutMs: config.buildTimeoutMs,
        cancelGraceMs: config.cancelGraceMs,
        ...(config.logLimitBytes ? { logLimitBytes: config.logLimitBytes } : {}),
        api,
        logger: log,
        signal: entry.controller.signal,
        ...(deps.env ? { env: deps.env } : {}),
      });
    } catch (error) {
      outcome = { result: 'failed', failureClass: 'infrastructure', code: 'builder_error', message: (error as Error).message, artifacts: [] };
    }
    const ids = { jobId: job.jobId, attempt: job.attempt };
    const body: ReportBody =
      outcome.result === 'succeeded'
        ? { succeeded: { ...ids, artifacts: outcome.artifacts, inputs: outcome.inputs } }
        : outcome.result === 'cancelled'
          ? { cancelled: ids }
          : {
              failed: { ...ids, failureClass: outcome.failureClass, code: outcome.code, message: outcome.message, artifacts: outcome.artifacts },
            };
    try {
      await reportReliably(body, `${config.name}:${key}:${outcome.result}`);
    } catch (error) {
      log.error({ err: error }, 'the final report was not confirmed; the lease will expire');
    }
    buildsTotal.inc({ result: outcome.result });
    buildDuration.observe({ result: outcome.result }, (Date.now() - began) / 1000);
    log.info({ result: outcome.result, ...(outcome.result === 'failed' ? { code: outcome.code, message: outcome.message } : {}) }, 'build finished');
    builds.delete(key);
    releaseSlot();
  }

  // --- BuilderControl ------------------------------------------------------------------------
  async function onControl({ body }: { body: unknown }): Promise<void> {
    let command: { cancel?: { jobId: number; attempt: number }; drain?: { drained: boolean } };
    try {
      command = canonicalMessage('BuilderControl', body, 'read') as typeof command;
    } catch (error) {
      throw new PermanentFailure((error as Error).message);
    }
    if (command.drain) {
      drained = command.drain.drained;
      logger.info({ drained }, drained ? 'drained by an admin: finishing what runs, taking nothing new' : 'released: taking work again');
      await adjustConsumers();
      return;
    }
    if (!command.cancel) throw new PermanentFailure('BuilderControl: no command this builder knows');
    const key = keyOf(command.cancel);
    const build = builds.get(key);
    if (build) {
      logger.info({ jobId: command.cancel.jobId, attempt: command.cancel.attempt }, 'cancelling the build');
      build.controller.abort('cancelled');
      return;
    }
    // Not started here (yet): skip its request if it comes, and tell the scheduler at once, as
    // a builder that restarted must, so that the job does not wait for a lease to end.
    earlyCancels.add(key);
    if (earlyCancels.size > MAX_EARLY_CANCELS) earlyCancels.delete(earlyCancels.values().next().value as string);
    logger.info({ jobId: command.cancel.jobId, attempt: command.cancel.attempt }, 'cancel for a build not running here');
    await report({ cancelled: { jobId: command.cancel.jobId, attempt: command.cancel.attempt } }, `${config.name}:${key}:cancelled`);
  }

  return {
    app,
    running: runningList,

    async start() {
      controlConsumer = await broker.consume({
        queue: names.controlQueue(config.name),
        bindings: [{ exchange: names.control, routingKey: config.name }],
        queueOptions: { durable: false, exclusive: true, autoDelete: true },
        prefetch: 10,
        handler: onControl,
      });
      await refreshArchSupport();
      // The build queues exist before the scheduler hears of this builder, so that nothing it
      // dispatches on hearing hello can be unroutable.
      await adjustConsumers();
      await hello();
      heartbeatTimer = setInterval(() => void heartbeat(), config.heartbeatMs);
      started = true;
      logger.info({ name: config.name, arches: support.arches, suites: config.suites, formats: config.formats, slots: config.slots, backend: config.backend }, 'builder ready');
    },

    async close() {
      if (closing) return;
      closing = true;
      // Requests waiting for a slot go back to their queue (RetryLater) for another builder.
      slotWaiters.splice(0).forEach((wake) => wake());
      await adjustConsumers().catch(() => undefined);
      // Hand running builds back: they are reported failed (infrastructure, builder_shutdown) so
      // that the farm retries them elsewhere at once, without waiting for a lease to expire.
      for (const build of builds.values()) build.controller.abort('shutdown');
      await Promise.all([...builds.values()].map((build) => build.done));
      if (heartbeatTimer) clearInterval(heartbeatTimer);
      await controlConsumer?.cancel();
      await app.close();
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * How this machine serves each configured (suite, arch): the probe's facts, decided. An rpm-only
 * builder needs no chroot: rpmbuild builds for the machine (a job for another arch fails as the
 * builder's shortcoming, see wrongArchitecture).
 */
export async function probeArchSupport(config: Pick<BuilderSettings, 'arches' | 'suites' | 'formats' | 'backend' | 'chrootDir'>): Promise<ArchSupport> {
  if (!config.formats.includes('deb')) {
    return { plans: config.arches.flatMap((arch) => config.suites.map((suite) => ({ arch, suite, mode: 'native' as const, chroot: '' }))), unavailable: [], arches: config.arches };
  }
  const facts = await probeHost({ chrootDir: config.chrootDir, arches: config.arches });
  const support = decideArchSupport(facts, { backend: config.backend, arches: config.arches, suites: config.suites });
  // Hashed now, in the background, rather than by the first build that records one (hundreds of MiB each).
  for (const plan of support.plans) if (plan.chroot) chrootSha256(path.join(config.chrootDir, plan.chroot)).catch(() => undefined);
  return support;
}
