import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import { canonicalMessage } from '@tsbit/contracts';
import {
  builderDecider,
  builderStreamId,
  catalogDecider,
  catalogStreamId,
  deserializeEvent,
  DomainError,
  judgeDependencies,
  jobDecider,
  jobStreamId,
  reason,
  suiteBuildSettings,
  type Actor,
  type BuilderCommand,
  type BuilderEvent,
  type DomainEvent,
  type JobCommand,
  type JobEvent,
  type JobState,
  type JobStatus,
  type Reason,
} from '@tsbit/domain';
import { followStream, handleCommand, type EventLog, type RecordedEvent } from '@tsbit/event-log';
import { PermanentFailure, REPORT_ROUTING_KEY, SCHEDULER_EVENT_BINDINGS, topologyNames, type Broker, type Consumer, type EventMessage, type IncomingMessage } from '@tsbit/messaging';
import { counter, createHttpServer, histogram, metricsRegistry } from '@tsbit/service-kit';
import { FarmModel, isFinal, type Dispatch, type JobChange, type TrackedJob } from './farm-model';
import { buildPriority, buildRequestFor, buildRequestId, cancelMessageId } from './policy/build-request';
import { classifyFailure, dependencyWaitBackoffMs, dependencyWaitReason, missingBuildDependencies, publishedPackages } from './policy/failures';
import { dependencyStatus, shouldStopRunning } from './policy/job-views';
import { LeaseBook, leaseTiming } from './policy/leases';
import { MalformedReport, parseReport, type BuilderReport } from './reports';

/** Events read per page when the log is folded at start. */
const FOLD_PAGE = 1000;
const EVENTS_PREFETCH = 200;
const REPORTS_PREFETCH = 50;
/** Pause before what failed on I/O (a reaction, a publish, a dispatch) is tried again. */
const RETRY_EVERY_MS = 1000;
/** A dependency wait keeps a job Blocked this long (doubling with each further wait) before it is queued again. */
export const DEFAULT_DEPENDENCY_WAIT_BACKOFF_MS = 60_000;
/** Added to a hold's wake-up, which Node may fire a little before the clock reaches it. */
const HOLD_TIMER_SLACK_MS = 2;
/** How often builder pools are sized to the work (Kubernetes only). */
const SCALE_EVERY_MS = 15_000;

const SCHEDULER: Actor = { kind: 'system', name: 'scheduler' };
const JOB_STREAM = /^job-([1-9][0-9]*)$/;
const BUILDER_STREAM_PREFIX = 'builder-';
const PUBLICATION_STREAM = /^publication-[1-9][0-9]*$/;
const JOB_EVENT_TYPES: ReadonlySet<string> = new Set([
  'JobSubmitted',
  'JobBlocked',
  'JobQueued',
  'BuildStarted',
  'BuildSucceeded',
  'BuildFailed',
  'LeaseExpired',
  'JobCancelRequested',
  'JobCancelled',
  'JobRetried',
  'JobDeleted',
]);
const BUILDER_EVENT_TYPES: ReadonlySet<string> = new Set(['BuilderRegistered', 'BuilderLost', 'BuilderPaused', 'BuilderResumed', 'BuilderRetired']);

const dispatchLatency = histogram(
  'tsbit_dispatch_seconds',
  'From JobSubmitted recorded to the BuildRequest of its first attempt published',
  ['routing_key'],
  [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 10, 60, 600],
);
const leasesExpired = counter('tsbit_leases_expired_total', 'Builds whose builder stopped heartbeating');
const reportsRefused = counter('tsbit_reports_refused_total', 'Builder reports the job decider refused', ['report']);
/** The scheduler whose queue /metrics shows (one per process outside tests). */
let pendingSource: (() => Map<string, number>) | undefined;
if (!metricsRegistry.getSingleMetric('tsbit_pending_jobs')) {
  new Gauge({
    name: 'tsbit_pending_jobs',
    help: 'Jobs waiting for a build slot, by routing key',
    labelNames: ['routing_key'],
    registers: [metricsRegistry],
    collect() {
      this.reset();
      for (const [key, count] of pendingSource?.() ?? []) this.set({ routing_key: key }, count);
    },
  });
}

export interface SchedulerDeps {
  log: EventLog;
  broker: Broker;
  logger: Logger;
  /** Builders heartbeat this often (TSBIT_HEARTBEAT_MS); leases follow from it. */
  heartbeatMs: number;
  /** AMQP name prefix (TSBIT_AMQP_PREFIX); the broker's when not given. */
  prefix?: string;
  clock?: () => Date;
  dependencyWaitBackoffMs?: number;
  /** Sizes builder pools to the work per architecture (Kubernetes); none on a single machine. */
  scaler?: { scale(work: Map<string, { waiting: number; building: number }>): Promise<void> };
}

export interface Scheduler {
  app: FastifyInstance;
  /** Folds the log, then consumes events and reports. */
  start(): Promise<void>;
  /** Stops consuming and waits for what is in flight; leaves the log and the broker open. */
  close(): Promise<void>;
  /** Its picture of the farm (read-only use: tests, diagnostics). */
  model: FarmModel;
}

type StatusLookup = (jobId: number) => Promise<JobStatus | undefined>;

/**
 * The scheduler: judges jobs' dependencies (blocks or cancels them), dispatches waiting jobs
 * fairly to free build slots, records what builders report through the job decider, holds
 * leases on running builds, and tells builders to stop what they must not build. Every decision
 * is a command through a decider against the log, so a duplicate or stale message changes
 * nothing; the model in memory only chooses what to ask.
 */
export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { log, broker, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const names = deps.prefix === undefined ? broker.names : topologyNames(deps.prefix);
  const backoffBaseMs = deps.dependencyWaitBackoffMs ?? DEFAULT_DEPENDENCY_WAIT_BACKOFF_MS;
  const { leaseMs, checkEveryMs } = leaseTiming(deps.heartbeatMs);
  const model = new FarmModel({ dependencyWaitBackoffMs: backoffBaseMs });
  const leases = new LeaseBook(leaseMs);
  /** For the suite's settings that each BuildRequest carries (keyrings, lintian). */
  // The suite settings each BuildRequest carries (keyrings, lintian).
  const catalog = followStream(log, catalogStreamId, catalogDecider);
  const consumers: Consumer[] = [];
  const background = new Set<Promise<unknown>>();
  /** Reactions that failed on I/O, by job, to be tried again. */
  const failedReactions = new Map<number, JobChange & { kind: 'changed' }>();
  /**
   * Attempts queued whose BuildRequest is not (or no longer) on the build queue: the publish
   * failed, or a paused builder took it. Published again, the latter once a live builder serves it.
   */
  const unpublished = new Map<number, { attempt: number; queuedAt: string; needsLiveBuilder: boolean }>();
  /** Judging a job reads other streams and then decides: one judgement per job at a time. */
  const judging = new Map<number, Promise<void>>();
  /** Jobs whose judgement is deciding right now (its own commands must not judge it again). */
  const deciding = new Set<number>();

  let foldedUpTo = 0n;
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  let live = false;
  let closing = false;
  let ready = false;
  let pass: Promise<void> | undefined;
  let passAgain = false;
  let checking = false;
  let leaseTimer: NodeJS.Timeout | undefined;
  let scaleTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let holdTimer: NodeJS.Timeout | undefined;

  const nowMs = (): number => clock().getTime();
  const at = (): string => clock().toISOString();
  const keep = <T>(work: Promise<T>): Promise<T> => {
    background.add(work);
    void work.finally(() => background.delete(work)).catch(() => undefined);
    return work;
  };

  // --- commands --------------------------------------------------------------------------------

  /** Runs a job command; undefined when the decider refuses it (the world moved on), which is logged. */
  async function runJob(jobId: number, command: JobCommand, causedBy: Actor = SCHEDULER): Promise<JobEvent[] | undefined> {
    let result;
    try {
      result = await handleCommand({ log, stream: jobStreamId(jobId), decider: jobDecider, command, metadata: { causedBy } });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      logger.info({ jobId, command: command.type, refused: error.message }, 'command refused');
      return undefined;
    }
    await absorb(result.state, result.nextExpectedVersion, result.events);
    return result.events;
  }

  async function runBuilder(name: string, command: BuilderCommand, causedBy: Actor): Promise<BuilderEvent[]> {
    const result = await handleCommand({ log, stream: builderStreamId(name), decider: builderDecider, command, metadata: { causedBy } });
    model.setBuilderState(name, result.state, result.nextExpectedVersion, nowMs());
    if (result.events.length > 0) scheduleDispatch();
    return result.events;
  }

  /** Takes a job's state as the log has it now into the model, and reacts to the change. */
  async function absorb(state: JobState, version: number, events: JobEvent[]): Promise<void> {
    if (state.status === 'Initial') return;
    const blocked = events.filter((event) => event.type === 'JobBlocked').pop();
    const queued = events.filter((event) => event.type === 'JobQueued').pop();
    const change = model.setJobState(state, version, {
      ...(blocked?.type === 'JobBlocked' ? { blockedAt: blocked.data.blockedAt } : {}),
      ...(queued?.type === 'JobQueued' ? { queuedAt: queued.data.queuedAt } : {}),
    });
    if (change.kind === 'changed') await react(change);
  }

  /** Reads a job's stream again: after a gap in what the events queue delivered, or a refusal. */
  async function resync(jobId: number): Promise<void> {
    const recorded = await log.readStream(jobStreamId(jobId));
    let state: JobState = jobDecider.initialState();
    const events: JobEvent[] = [];
    for (const event of recorded) {
      const domainEvent = deserializeEvent(event.type, event.data) as JobEvent;
      events.push(domainEvent);
      state = jobDecider.evolve(state, domainEvent);
    }
    await absorb(state, recorded.length - 1, events);
  }

  async function statusFromLog(jobId: number): Promise<JobStatus | undefined> {
    let state: JobState = jobDecider.initialState();
    for (const event of await log.readStream(jobStreamId(jobId))) state = jobDecider.evolve(state, deserializeEvent(event.type, event.data) as JobEvent);
    return dependencyStatus(state);
  }

  // --- reactions -------------------------------------------------------------------------------

  /**
   * What follows from a job's new state: a cancel for its builder, a judgement of its
   * dependencies, a judgement of its dependants once it is over, a dispatch pass. Reactions
   * read state, not events, so that skipping or repeating an event changes nothing. One that
   * fails on I/O is tried again later; it never fails the message that caused it.
   */
  async function react(change: JobChange & { kind: 'changed' }, lookup: StatusLookup = statusFromLog): Promise<void> {
    try {
      const job = model.job(change.jobId);
      if (job) {
        const { state } = job;
        if (state.status === 'Building' || state.status === 'Cancelling') {
          if (leases.get(change.jobId)?.attempt !== state.attempt) leases.grant({ jobId: change.jobId, attempt: state.attempt, builder: state.builder }, nowMs());
        } else {
          leases.forget(change.jobId);
        }
        if (state.status === 'Cancelling' && job.cancelSentFor !== state.attempt) {
          await sendCancel(state.builder, change.jobId, state.attempt);
          job.cancelSentFor = state.attempt;
        }
        // The judgement that is deciding this job's fate (and caused this change) is not repeated.
        if (model.needsJudgement(job) && !deciding.has(change.jobId)) await judge(change.jobId, lookup);
      } else {
        leases.forget(change.jobId);
      }
      if (change.from === undefined && !isFinal(change.to)) await supersedeOlder(change.jobId);
      if (isFinal(change.to) && !isFinal(change.from)) {
        const memo = memoizeFinal(lookup);
        for (const dependant of model.dependantsOf(change.jobId)) await judge(dependant, memo);
      }
      scheduleDispatch();
    } catch (error) {
      logger.warn({ err: error, jobId: change.jobId }, 'reaction failed; trying again shortly');
      failedReactions.set(change.jobId, change);
      armRetry();
    }
  }

  /**
   * pyBit's superseding, as the log orders submissions: job-intake supersedes what its read model
   * shows at once; this catches what it could not see yet (two pushes a moment apart). A job
   * cancelled already is refused by the decider and left as it is.
   */
  async function supersedeOlder(jobId: number): Promise<void> {
    const why = reason('superseded', `superseded by job ${jobId}`, [jobId]);
    for (const older of model.supersededBy(jobId)) await runJob(older, { type: 'CancelJob', by: SCHEDULER, reason: why, at: at() });
  }

  /** Lets a job be dispatched, keeps it Blocked naming what it waits for, or cancels it. */
  function judge(jobId: number, lookup: StatusLookup): Promise<void> {
    const previous = judging.get(jobId) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const job = model.job(jobId);
        if (!job || !model.needsJudgement(job)) return;
        deciding.add(jobId);
        try {
          const dependencies = await Promise.all(job.state.job.dependsOn.map(async (id) => ({ jobId: id, status: await lookup(id) })));
          if (model.job(jobId) !== job || !model.needsJudgement(job)) return;
          const verdict = judgeDependencies(dependencies);
          if (verdict.kind === 'ready') {
            model.release(jobId);
            scheduleDispatch();
          } else if (verdict.kind === 'wait') {
            if (job.state.status === 'Blocked' && sameReason(job.state.reason, verdict.reason)) return;
            await runJob(jobId, { type: 'BlockJob', reason: verdict.reason, at: at() });
          } else {
            await runJob(jobId, { type: 'CancelJob', by: SCHEDULER, reason: verdict.reason, at: at() });
          }
        } finally {
          deciding.delete(jobId);
        }
      });
    judging.set(jobId, next);
    void next
      .finally(() => {
        if (judging.get(jobId) === next) judging.delete(jobId);
      })
      .catch(() => undefined);
    return next;
  }

  const sendCancel = (builder: string, jobId: number, attempt: number): Promise<void> =>
    broker.publish(names.control, builder, canonicalMessage('BuilderControl', { cancel: { jobId, attempt } }), { messageId: cancelMessageId(jobId, attempt) });
  /** Tells a builder it is drained or released, so that a drained one stops taking requests. */
  const sendDrain = (builder: string, drained: boolean): Promise<void> =>
    broker.publish(names.control, builder, canonicalMessage('BuilderControl', { drain: { drained } }), { messageId: `${builder}:drain:${drained}:${nowMs()}` });

  // --- dispatch --------------------------------------------------------------------------------

  /**
   * Hands free slots out; one pass at a time, and another if asked meanwhile. A request that
   * comes while a pass is winding down is not lost: the pass looks again before it ends.
   */
  function scheduleDispatch(): void {
    if (!live || closing) return;
    passAgain = true;
    if (pass) return;
    pass = keep(
      (async () => {
        let plannedAt = nowMs();
        while (passAgain && !closing) {
          passAgain = false;
          plannedAt = nowMs();
          const dispatches = model.planDispatch(plannedAt);
          await Promise.all(dispatches.map(dispatch));
        }
        // The same instant as the last plan: a hold that kept a job back then has a wake-up.
        armHoldTimer(plannedAt);
      })(),
    )
      .catch((error: unknown) => logger.error({ err: error }, 'dispatch pass failed'))
      .finally(() => {
        pass = undefined;
        if (passAgain) scheduleDispatch();
      });
  }

  async function dispatch({ job }: Dispatch): Promise<void> {
    const { jobId } = job.state.job;
    let events: JobEvent[] | undefined;
    try {
      events = await runJob(jobId, { type: 'QueueJob', routingKey: job.routingKey, at: at() });
    } catch (error) {
      logger.warn({ err: error, jobId }, 'could not queue the job; trying again shortly');
      model.undispatch(jobId);
      armRetry();
      return;
    }
    const queued = events?.find((event) => event.type === 'JobQueued');
    if (!queued || queued.type !== 'JobQueued') {
      model.undispatch(jobId);
      // Refused: the model was behind the log; read the job again so that it is not picked again.
      if (events === undefined) await resync(jobId).catch((error: unknown) => logger.warn({ err: error, jobId }, 'could not read the job again'));
      return;
    }
    await publishRequest(job, queued.data.attempt, queued.data.queuedAt);
  }

  async function publishRequest(job: TrackedJob, attempt: number, queuedAt: string, again = false): Promise<void> {
    const data = job.state.job;
    try {
      const settings = suiteBuildSettings((await catalog.get()).suites[data.suite], data);
      await broker.publish(names.builds, job.routingKey, canonicalMessage('BuildRequest', buildRequestFor(data, attempt, queuedAt, settings)), {
        messageId: buildRequestId(data.jobId, attempt),
        priority: buildPriority(data.priority),
      });
      unpublished.delete(data.jobId);
      if (attempt === 1 && !again) dispatchLatency.observe({ routing_key: job.routingKey }, Math.max(0, nowMs() - job.submittedAt) / 1000);
    } catch (error) {
      logger.warn({ err: error, jobId: data.jobId, attempt }, 'BuildRequest not confirmed; publishing it again shortly');
      unpublished.set(data.jobId, { attempt, queuedAt, needsLiveBuilder: false });
      armRetry();
    }
  }

  function armHoldTimer(now: number): void {
    if (holdTimer) clearTimeout(holdTimer);
    holdTimer = undefined;
    const end = model.nextHoldEnd(now);
    if (end === undefined || closing) return;
    // Timers may fire a millisecond before the clock says they are due.
    holdTimer = setTimeout(() => {
      holdTimer = undefined;
      scheduleDispatch();
    }, end - now + HOLD_TIMER_SLACK_MS);
  }

  function armRetry(): void {
    if (retryTimer || closing) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void keep(retryFailed());
    }, RETRY_EVERY_MS);
  }

  async function retryFailed(): Promise<void> {
    for (const [jobId, change] of [...failedReactions]) {
      failedReactions.delete(jobId);
      await react(change);
    }
    for (const [jobId, { attempt, queuedAt, needsLiveBuilder }] of [...unpublished]) {
      const job = model.job(jobId);
      if (!job || job.state.status !== 'Waiting' || !job.state.queued || job.state.attempt !== attempt) {
        unpublished.delete(jobId);
        continue;
      }
      if (needsLiveBuilder && !model.hasLiveBuilderFor(job.routingKey, job.state.job.avoidBuilder)) {
        armRetry();
        continue;
      }
      await publishRequest(job, attempt, queuedAt, true);
    }
    scheduleDispatch();
  }

  // --- leases ----------------------------------------------------------------------------------

  async function checkLeases(): Promise<void> {
    if (checking || !live) return;
    checking = true;
    try {
      const now = nowMs();
      leases.reconcile(model.building(), now);
      for (const lease of leases.expired(now)) {
        if (closing) return;
        logger.warn({ jobId: lease.jobId, builder: lease.builder, attempt: lease.attempt }, 'lease expired');
        try {
          const events = await runJob(lease.jobId, { type: 'ExpireLease', attempt: lease.attempt, builder: lease.builder, at: at() });
          leases.release(lease.jobId, lease.attempt);
          if (events === undefined) await resync(lease.jobId);
          else if (events.some((event) => event.type === 'LeaseExpired')) leasesExpired.inc();
        } catch (error) {
          logger.warn({ err: error, jobId: lease.jobId }, 'could not record the lease expiry; trying again at the next check');
        }
      }
      for (const name of model.silentBuilders(now - leaseMs)) {
        if (closing) return;
        logger.warn({ builder: name }, 'builder silent for a lease: marking it lost');
        await runBuilder(name, { type: 'MarkBuilderLost', name, at: at() }, SCHEDULER).catch((error: unknown) =>
          logger.warn({ err: error, builder: name }, 'could not mark the builder lost; trying again at the next check'),
        );
      }
    } finally {
      checking = false;
    }
  }

  // --- events ----------------------------------------------------------------------------------

  async function onEvent(message: IncomingMessage): Promise<void> {
    await gate;
    if (!live) throw new Error('the scheduler closed before it started');
    const body = checkEventMessage(message.body);
    if (BigInt(body.position) <= foldedUpTo) return;
    let event: DomainEvent;
    try {
      event = deserializeEvent(body.type, body.data);
    } catch (error) {
      throw new PermanentFailure(`event ${body.stream}:${body.version}: ${(error as Error).message}`);
    }
    const jobId = jobIdOf(body.stream);
    if (jobId !== undefined) {
      if (!JOB_EVENT_TYPES.has(event.type)) throw new PermanentFailure(`event ${body.stream}:${body.version}: ${event.type} is not a job event`);
      const change = model.applyJobEvent(jobId, body.version, event as JobEvent, Date.parse(body.recordedAt));
      if (change.kind === 'gap') await resync(jobId);
      else if (change.kind === 'changed') await react(change);
      return;
    }
    if (PUBLICATION_STREAM.test(body.stream)) {
      if (event.type !== 'PackagePublished') throw new PermanentFailure(`event ${body.stream}:${body.version}: ${event.type} is not a publication event`);
      // The farm's repository has them now: a job waiting for one of them is queued again at once.
      const released = model.packagesPublished(event.data.suite, publishedPackages(event.data.packages));
      if (released.length > 0) {
        logger.info({ jobId: event.data.jobId, suite: event.data.suite, released }, 'jobs in dependency wait go again: what they waited for is published');
        scheduleDispatch();
      }
      return;
    }
    if (body.stream.startsWith(BUILDER_STREAM_PREFIX)) {
      if (!BUILDER_EVENT_TYPES.has(event.type)) throw new PermanentFailure(`event ${body.stream}:${body.version}: ${event.type} is not a builder event`);
      const name = body.stream.slice(BUILDER_STREAM_PREFIX.length);
      const outcome = model.applyBuilderEvent(name, body.version, event as BuilderEvent, nowMs());
      if (outcome === 'gap') await resyncBuilder(name);
      if (outcome === 'changed' && (event.type === 'BuilderPaused' || event.type === 'BuilderResumed')) await sendDrain(name, event.type === 'BuilderPaused');
      if (outcome !== 'duplicate') scheduleDispatch();
    }
  }

  async function resyncBuilder(name: string): Promise<void> {
    const recorded = await log.readStream(builderStreamId(name));
    const state = recorded.reduce((folded, event) => builderDecider.evolve(folded, deserializeEvent(event.type, event.data) as BuilderEvent), builderDecider.initialState());
    model.setBuilderState(name, state, recorded.length - 1, nowMs());
  }

  // --- reports ---------------------------------------------------------------------------------

  async function onReport(message: IncomingMessage): Promise<void> {
    let report: BuilderReport;
    try {
      report = parseReport(message.body);
    } catch (error) {
      if (error instanceof MalformedReport) throw new PermanentFailure(error.message);
      throw error;
    }
    const { builder } = report;
    const asBuilder: Actor = { kind: 'builder', name: builder };
    const now = nowMs();
    model.heardFrom(builder, now);
    const known = model.builder(builder);
    // A builder thought lost is back: known again with the capabilities it last announced.
    if (report.kind !== 'hello' && known?.state.status === 'Lost') {
      await runBuilder(builder, { type: 'RegisterBuilder', name: builder, capabilities: known.state.capabilities, at: at() }, asBuilder);
    }
    switch (report.kind) {
      case 'hello':
        await runBuilder(builder, { type: 'RegisterBuilder', name: builder, capabilities: report.capabilities, at: at() }, asBuilder);
        model.heardFrom(builder, now);
        // A builder starts undrained: one that an admin drained before it (re)started is told.
        if (model.builder(builder)?.state.status === 'Paused') await sendDrain(builder, true);
        scheduleDispatch();
        return;
      case 'heartbeat':
        // An unknown builder is learnt from its next hello; its leases are renewed all the same.
        for (const running of report.running) {
          if (leases.renew(builder, running.jobId, running.attempt, now)) continue;
          if (shouldStopRunning(model.runningView(running.jobId), builder, running.attempt)) {
            logger.info({ builder, jobId: running.jobId, attempt: running.attempt }, 'builder runs an attempt that is void or cancelled: telling it to stop');
            await sendCancel(builder, running.jobId, running.attempt);
          }
        }
        return;
      case 'started': {
        if (model.builder(builder)?.state.status === 'Paused') return refuseStartOnPausedBuilder(builder, report.jobId, report.attempt);
        const events = await runJob(report.jobId, { type: 'StartBuild', attempt: report.attempt, builder, ...(report.mode ? { mode: report.mode } : {}), at: at() }, asBuilder);
        if (events === undefined) {
          reportsRefused.inc({ report: 'started' });
          await sendCancel(builder, report.jobId, report.attempt);
        }
        return;
      }
      case 'succeeded': {
        // Jobs in dependency wait for what this built are released when it is published (PackagePublished), not here:
        // before that, their next attempt could not install it from the farm's repository.
        const events = await runJob(
          report.jobId,
          { type: 'SucceedBuild', attempt: report.attempt, builder, artifacts: report.artifacts, ...(report.inputs ? { inputs: report.inputs } : {}), at: at() },
          asBuilder,
        );
        if (events === undefined) reportsRefused.inc({ report: 'succeeded' });
        return;
      }
      case 'failed':
        return onFailed(report, asBuilder);
      case 'cancelled': {
        const events = await runJob(report.jobId, { type: 'ConfirmCancel', attempt: report.attempt, builder, at: at() }, asBuilder);
        if (events === undefined) reportsRefused.inc({ report: 'cancelled' });
        return;
      }
    }
  }

  /**
   * A dependency wait is recorded as an infrastructure failure (the decider retries it however
   * often it takes), then the retried job is Blocked with reason dependency_wait and held back:
   * until the farm publishes one of the packages the builder found missing, or for a back-off that
   * doubles with each wait, whichever comes first, instead of hitting the same gap at once.
   */
  async function onFailed(report: BuilderReport & { kind: 'failed' }, asBuilder: Actor): Promise<void> {
    const { jobId, attempt, builder } = report;
    const failure = classifyFailure(report);
    let backoffMs = 0;
    if (failure.dependencyWait) {
      const retries = model.job(jobId)?.state.dependencyWaits ?? 0;
      backoffMs = dependencyWaitBackoffMs(backoffBaseMs, retries + 1);
      // Held before the retry is recorded, so that no dispatch pass takes it in between.
      model.hold(jobId, nowMs() + backoffMs, missingBuildDependencies(report.message));
    }
    let events: JobEvent[] | undefined;
    try {
      events = await runJob(jobId, { type: 'FailBuild', attempt, builder, failureClass: failure.failureClass, reason: failure.reason, artifacts: report.artifacts, at: at() }, asBuilder);
    } catch (error) {
      if (failure.dependencyWait) model.unhold(jobId);
      throw error;
    }
    if (events === undefined) reportsRefused.inc({ report: 'failed' });
    if (!failure.dependencyWait) return;
    if (events?.some((event) => event.type === 'JobRetried')) {
      await runJob(jobId, { type: 'BlockJob', reason: dependencyWaitReason(report, backoffMs, model.awaitedBy(jobId)), at: at() });
    } else {
      model.unhold(jobId);
    }
  }

  /**
   * A paused builder takes no new work, but it consumes the shared build queues like any other
   * (nothing tells a builder it is paused): its Started is answered with a cancel, and the
   * request goes back on the queue after a pause, once a live builder serves it, so that the
   * paused builder cannot take it back in a tight loop.
   */
  async function refuseStartOnPausedBuilder(builder: string, jobId: number, attempt: number): Promise<void> {
    logger.info({ builder, jobId, attempt }, 'paused builder took a request: cancelling it there and queueing the request again');
    reportsRefused.inc({ report: 'started' });
    await sendCancel(builder, jobId, attempt);
    const job = model.job(jobId);
    if (job && job.state.status === 'Waiting' && job.state.queued && job.state.attempt === attempt) {
      job.reservedOn = undefined;
      unpublished.set(jobId, { attempt, queuedAt: job.queuedAt ?? at(), needsLiveBuilder: true });
      armRetry();
    }
  }

  // --- start-up --------------------------------------------------------------------------------

  /** Folds the whole log into the model: the scheduler's state survives its restarts. */
  async function fold(): Promise<void> {
    const jobGaps = new Set<number>();
    const builderGaps = new Set<string>();
    model.beginFold();
    let after = 0n;
    for (;;) {
      const page = await log.readAll(after, FOLD_PAGE);
      if (page.length === 0) break;
      for (const recorded of page) applyRecorded(recorded, jobGaps, builderGaps);
      after = page[page.length - 1]!.position;
    }
    model.endFold(nowMs());
    foldedUpTo = after;
    for (const jobId of jobGaps) await resync(jobId);
    for (const name of builderGaps) await resyncBuilder(name);
  }

  function applyRecorded(recorded: RecordedEvent, jobGaps: Set<number>, builderGaps: Set<string>): void {
    const jobId = jobIdOf(recorded.stream);
    const isBuilder = recorded.stream.startsWith(BUILDER_STREAM_PREFIX);
    if (jobId === undefined && !isBuilder) return;
    let event: DomainEvent;
    try {
      event = deserializeEvent(recorded.type, recorded.data);
    } catch (error) {
      logger.warn({ err: error, stream: recorded.stream, version: recorded.version }, 'event not understood; skipped');
      return;
    }
    if (jobId !== undefined && JOB_EVENT_TYPES.has(event.type)) {
      if (model.applyJobEvent(jobId, recorded.version, event as JobEvent, recorded.recordedAt.getTime()).kind === 'gap') jobGaps.add(jobId);
    } else if (isBuilder && BUILDER_EVENT_TYPES.has(event.type)) {
      const name = recorded.stream.slice(BUILDER_STREAM_PREFIX.length);
      if (model.applyBuilderEvent(name, recorded.version, event as BuilderEvent, nowMs()) === 'gap') builderGaps.add(name);
    }
  }

  /** After the fold: judge what waits, repeat cancels and requests that may have been lost with the last instance. */
  async function catchUp(): Promise<void> {
    const foldedStatus: StatusLookup = async (jobId) => model.dependencyStatusOf(jobId);
    for (const job of model.unjudged()) {
      const jobId = job.state.job.jobId;
      if (!model.needsJudgement(job)) continue;
      await judge(jobId, foldedStatus).catch((error: unknown) => {
        logger.warn({ err: error, jobId }, 'could not judge the job; trying again shortly');
        failedReactions.set(jobId, { kind: 'changed', jobId, from: undefined, to: job.state.status });
        armRetry();
      });
    }
    for (const job of model.cancellingJobs()) {
      if (job.state.status !== 'Cancelling') continue;
      await sendCancel(job.state.builder, job.state.job.jobId, job.state.attempt).catch((error: unknown) => logger.warn({ err: error }, 'could not send a cancel'));
      job.cancelSentFor = job.state.attempt;
    }
    // A request whose publish died with the last instance would never be built; one sent twice
    // is skipped by builders (same message id, or the job is no longer waiting for it).
    for (const job of model.queuedJobs()) await publishRequest(job, job.state.attempt, job.queuedAt ?? at(), true);
    leases.reconcile(model.building(), nowMs());
  }

  const app = createHttpServer({ logger, ready: () => ready && !closing && broker.isConnected() });

  return {
    app,
    model,
    async start() {
      const inOrder = (handler: (message: IncomingMessage) => Promise<void>) => {
        let tail: Promise<void> = Promise.resolve();
        return (message: IncomingMessage): Promise<void> => {
          const next = tail.then(() => handler(message));
          tail = next.catch(() => undefined);
          return next;
        };
      };
      // Bound before the fold, so that an event appended after the fold cannot pass unseen; its
      // handler waits for the fold, and skips what the fold has already seen.
      consumers.push(
        await broker.consume({
          queue: names.schedulerEvents,
          bindings: [
            ...SCHEDULER_EVENT_BINDINGS.map((routingKey) => ({ exchange: names.events, routingKey })),
          ],
          prefetch: EVENTS_PREFETCH,
          handler: inOrder(onEvent),
        }),
      );
      await fold();
      live = true;
      await catchUp();
      openGate();
      // Reports have a consumer of their own, so that a burst of events cannot hold heartbeats back.
      consumers.push(
        await broker.consume({
          queue: names.reportsQueue,
          bindings: [{ exchange: names.reports, routingKey: REPORT_ROUTING_KEY }],
          prefetch: REPORTS_PREFETCH,
          handler: inOrder(onReport),
        }),
      );
      leaseTimer = setInterval(() => void keep(checkLeases().catch((error: unknown) => logger.error({ err: error }, 'lease check failed'))), checkEveryMs);
      const scaler = deps.scaler;
      if (scaler) {
        scaleTimer = setInterval(() => void scaler.scale(model.workByArch()).catch((error: unknown) => logger.warn({ err: error }, 'scaling builder pools failed')), SCALE_EVERY_MS);
      }
      pendingSource = () => model.pendingCount();
      scheduleDispatch();
      ready = true;
      logger.info({ foldedUpTo: foldedUpTo.toString(), leaseMs, checkEveryMs }, 'scheduler started');
    },
    async close() {
      if (closing) return;
      closing = true;
      // Handlers still waiting for a fold that will not finish give their messages back.
      openGate();
      for (const timer of [leaseTimer, scaleTimer]) if (timer) clearInterval(timer);
      for (const timer of [retryTimer, holdTimer]) if (timer) clearTimeout(timer);
      await Promise.all(consumers.map((consumer) => consumer.cancel()));
      while (background.size > 0) await Promise.allSettled([...background]);
      pendingSource = undefined;
      await app.close();
    },
  };
}

function jobIdOf(stream: string): number | undefined {
  const match = JOB_STREAM.exec(stream);
  return match ? Number(match[1]) : undefined;
}

const sameReason = (a: Reason | null, b: Reason): boolean => a !== null && a.code === b.code && a.message === b.message && a.jobIds.join(',') === b.jobIds.join(',');

/** Final statuses do not change under a cascade (a retry aside), so one read serves every dependant. */
function memoizeFinal(lookup: StatusLookup): StatusLookup {
  const known = new Map<number, JobStatus | undefined>();
  return async (jobId) => {
    if (known.has(jobId)) return known.get(jobId);
    const status = await lookup(jobId);
    if (status === undefined || status === 'Done' || status === 'Failed' || status === 'Cancelled') known.set(jobId, status);
    return status;
  };
}

/** The body of a message from the events exchange, as the relay writes it. */
function checkEventMessage(body: unknown): EventMessage {
  const message = body as Partial<EventMessage> | null;
  const refuse = (field: string, rule: string): never => {
    throw new PermanentFailure(`event message.${field}: ${rule}`);
  };
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return refuse('(body)', 'must be an object');
  if (typeof message.position !== 'string' || !/^[0-9]+$/.test(message.position)) refuse('position', 'must be a decimal string');
  if (typeof message.stream !== 'string' || message.stream === '') refuse('stream', 'must be a non-empty string');
  if (typeof message.version !== 'number' || !Number.isInteger(message.version) || message.version < 0) refuse('version', 'must be a non-negative integer');
  if (typeof message.type !== 'string' || message.type === '') refuse('type', 'must be a non-empty string');
  if (message.data === null || typeof message.data !== 'object') refuse('data', 'must be an object');
  if (typeof message.recordedAt !== 'string' || Number.isNaN(Date.parse(message.recordedAt))) refuse('recordedAt', 'must be an ISO 8601 time');
  return message as EventMessage;
}
