import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { canonicalMessage } from '@tsbit/contracts';
import {
  builderDecider,
  builderStreamId,
  deserializeEvent,
  DomainError,
  judgeDependencies,
  jobDecider,
  jobStatusOf,
  jobStreamId,
  reason,
  type Actor,
  type Artifact,
  type DomainEvent,
  type FailureClass,
  type JobCommand,
  type JobEvent,
  type JobState,
} from '@tsbit/domain';
import { handleCommand, type EventLog } from '@tsbit/event-log';
import { MAX_BUILD_PRIORITY, PermanentFailure, REPORT_ROUTING_KEY, type Broker, type Consumer, type EventMessage } from '@tsbit/messaging';
import { counter, createHttpServer, histogram } from '@tsbit/service-kit';
import { FarmModel, type TrackedJob } from './farm-model';

const READ_PAGE = 5000;
const EVENTS_PREFETCH = 200;
const REPORTS_PREFETCH = 50;
/** A lease lasts this many heartbeats; with checks every quarter heartbeat, a dead builder's job leaves Building within two. */
const LEASE_HEARTBEATS = 1.5;
const CHECKS_PER_HEARTBEAT = 4;
const SCALE_EVERY_MS = 15_000;
const SCHEDULER: Actor = { kind: 'system', name: 'scheduler' };

const dispatchLatency = histogram('tsbit_dispatch_seconds', 'From JobSubmitted recorded to BuildRequest published', ['routing_key'], [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);
const leasesExpired = counter('tsbit_leases_expired_total', 'Builds whose builder stopped heartbeating');
const reportsRefused = counter('tsbit_reports_refused_total', 'Builder reports the job decider refused', ['report']);

export interface SchedulerDeps {
  /** Sizes builder pools to the work per architecture (Kubernetes); none on a single machine. */
  scaler?: { scale(work: Map<string, { waiting: number; building: number }>): Promise<void> };
  log: EventLog;
  broker: Broker;
  logger: Logger;
  heartbeatMs: number;
  clock?: () => Date;
}

interface Lease {
  attempt: number;
  builder: string;
  expiresAt: number;
}

type Report = {
  builder: string;
  hello?: { arches: string[]; suites: string[]; formats: string[]; slots: number };
  heartbeat?: { running: { jobId: number; attempt: number }[] };
  started?: { jobId: number; attempt: number };
  succeeded?: { jobId: number; attempt: number; artifacts: Artifact[] };
  failed?: { jobId: number; attempt: number; failureClass: string; code: string; message: string; artifacts: Artifact[] };
  cancelled?: { jobId: number; attempt: number };
};

/**
 * The scheduler: blocks jobs on their dependencies, dispatches waiting jobs fairly to free build
 * slots, records what builders report through the job decider, holds leases on running builds,
 * and sends cancels to builders. Its picture of the farm is folded from the log at start, then
 * kept current from the events exchange.
 */
export function createScheduler(deps: SchedulerDeps): { app: FastifyInstance; start(): Promise<void>; close(): Promise<void>; model: FarmModel } {
  const { log, broker, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const model = new FarmModel();
  const leases = new Map<number, Lease>();
  const leaseMs = deps.heartbeatMs * LEASE_HEARTBEATS;
  const consumers: Consumer[] = [];
  let foldedUpTo = 0n;
  let leaseTimer: NodeJS.Timeout | undefined;
  let scaleTimer: NodeJS.Timeout | undefined;
  let serial: Promise<void> = Promise.resolve();
  let dispatching: Promise<void> | undefined;
  let dispatchAgain = false;
  let closing = false;

  const now = (): string => clock().toISOString();
  const run = (jobId: number, command: JobCommand) => handleCommand({ log, stream: jobStreamId(jobId), decider: jobDecider, command, metadata: { causedBy: SCHEDULER } });

  /** A command the decider may refuse because the world moved on; refusal is logged, not fatal. */
  const attempt = async (jobId: number, command: JobCommand): Promise<JobEvent[] | undefined> => {
    try {
      return (await run(jobId, command)).events;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      logger.info({ jobId, command: command.type, refused: error.message }, 'command refused');
      return undefined;
    }
  };

  async function stateFromLog(jobId: number): Promise<JobState> {
    let state = jobDecider.initialState();
    for (const recorded of await log.readStream(jobStreamId(jobId))) state = jobDecider.evolve(state, deserializeEvent(recorded.type, recorded.data) as JobEvent);
    return state;
  }

  /** Lets a job build, keeps it Blocked, or cancels it, by the state of its dependencies in the log. */
  async function judge(jobId: number): Promise<void> {
    const tracked = model.jobs.get(jobId);
    if (!tracked || (tracked.status !== 'Waiting' && tracked.status !== 'Blocked') || tracked.queued) return;
    const dependencies = await Promise.all(tracked.job.dependsOn.map(async (id) => ({ jobId: id, status: jobStatusOf(await stateFromLog(id)) })));
    const verdict = judgeDependencies(dependencies);
    if (verdict.kind === 'ready') {
      // The JobQueued that dispatch appends takes a Blocked job out of Blocked.
      if (tracked.status === 'Blocked') model.jobs.set(jobId, { ...tracked, status: 'Waiting' });
      model.release(jobId);
      scheduleDispatch();
    } else if (verdict.kind === 'wait') {
      if (tracked.status !== 'Blocked') await attempt(jobId, { type: 'BlockJob', reason: verdict.reason, at: now() });
    } else {
      await attempt(jobId, { type: 'CancelJob', by: SCHEDULER, reason: verdict.reason, at: now() });
    }
  }

  const control = (builder: string, jobId: number, attemptNumber: number) =>
    broker.publish(broker.names.control, builder, canonicalMessage('BuilderControl', { cancel: { jobId, attempt: attemptNumber } }), { messageId: `cancel-${jobId}-${attemptNumber}` });

  async function dispatchOne(job: TrackedJob): Promise<void> {
    model.reserve(job.job.jobId);
    const events = await attempt(job.job.jobId, { type: 'QueueJob', routingKey: job.routingKey, at: now() });
    const queued = events?.find((event) => event.type === 'JobQueued');
    if (!queued || queued.type !== 'JobQueued') {
      const current = jobStatusOf(await stateFromLog(job.job.jobId));
      if (current === 'Waiting' || current === 'Blocked') model.release(job.job.jobId);
      return;
    }
    model.apply(queued);
    const { jobId, package: name, version, suite, dist, arch, format, env, source, buildArchIndep, priority } = job.job;
    await broker.publish(
      broker.names.builds,
      job.routingKey,
      canonicalMessage('BuildRequest', { jobId, attempt: queued.data.attempt, package: name, version, suite, dist, arch, format, env, source, buildArchIndep, queuedAt: queued.data.queuedAt }),
      { messageId: `job-${jobId}:${queued.data.attempt}`, priority: Math.min(MAX_BUILD_PRIORITY, Math.max(0, priority + 5)) },
    );
    dispatchLatency.observe({ routing_key: job.routingKey }, (Date.now() - Date.parse(job.job.submittedAt)) / 1000);
  }

  /** Hands out free slots; runs one pass at a time and again if asked meanwhile. */
  function scheduleDispatch(): void {
    if (dispatching) {
      dispatchAgain = true;
      return;
    }
    dispatching = (async () => {
      do {
        dispatchAgain = false;
        for (const job of model.nextDispatches()) {
          if (closing) return;
          await dispatchOne(job).catch((error: unknown) => {
            model.release(job.job.jobId);
            logger.error({ err: error, jobId: job.job.jobId }, 'dispatch failed; will try again');
            dispatchAgain = true;
          });
        }
      } while (dispatchAgain && !closing);
    })().finally(() => {
      dispatching = undefined;
    });
  }

  /** What the scheduler does about an event, after folding it into its picture. */
  async function react(event: DomainEvent): Promise<void> {
    model.apply(event);
    switch (event.type) {
      case 'JobSubmitted':
        return judge(event.data.jobId);
      case 'BuildStarted':
        leases.set(event.data.jobId, { attempt: event.data.attempt, builder: event.data.builder, expiresAt: Date.now() + leaseMs });
        return;
      case 'JobCancelRequested': {
        const lease = leases.get(event.data.jobId);
        const tracked = model.jobs.get(event.data.jobId);
        const builder = lease?.builder ?? tracked?.builder;
        if (builder) await control(builder, event.data.jobId, lease?.attempt ?? tracked?.attempt ?? 0);
        return;
      }
      case 'BuildSucceeded':
      case 'BuildFailed':
      case 'LeaseExpired':
      case 'JobCancelled':
      case 'JobDeleted': {
        const lease = leases.get(event.data.jobId);
        if (lease && (!('attempt' in event.data) || event.data.attempt >= lease.attempt)) leases.delete(event.data.jobId);
        for (const dependant of model.dependants.get(event.data.jobId) ?? []) await judge(dependant);
        scheduleDispatch();
        return;
      }
      case 'JobRetried':
      case 'BuilderRegistered':
      case 'BuilderResumed':
        scheduleDispatch();
        return;
      default:
        return;
    }
  }

  async function onEvent(message: EventMessage): Promise<void> {
    if (BigInt(message.position) <= foldedUpTo) return;
    let event: DomainEvent;
    try {
      event = deserializeEvent(message.type, message.data);
    } catch (error) {
      throw new PermanentFailure(`event ${message.stream}:${message.version}: ${(error as Error).message}`);
    }
    await react(event);
  }

  async function onReport(report: Report): Promise<void> {
    const builder = report.builder;
    const known = model.builders.get(builder);
    if (known) model.builders.set(builder, { ...known, lastSeen: Date.now(), lost: false });
    const at = now();
    if (report.hello) {
      const capabilities = report.hello;
      await handleCommand({ log, stream: builderStreamId(builder), decider: builderDecider, command: { type: 'RegisterBuilder', name: builder, capabilities, at }, metadata: { causedBy: { kind: 'builder', name: builder } } });
      const existing = model.builders.get(builder);
      model.builders.set(builder, { name: builder, ...capabilities, paused: existing?.paused ?? false, lost: false, lastSeen: Date.now() });
      scheduleDispatch();
    } else if (report.heartbeat) {
      for (const running of report.heartbeat.running) {
        const lease = leases.get(running.jobId);
        if (lease && lease.builder === builder && lease.attempt === running.attempt) lease.expiresAt = Date.now() + leaseMs;
      }
    } else if (report.started) {
      const { jobId, attempt: attemptNumber } = report.started;
      const events = await attempt(jobId, { type: 'StartBuild', attempt: attemptNumber, builder, at });
      if (events === undefined) {
        reportsRefused.inc({ report: 'started' });
        await control(builder, jobId, attemptNumber);
      } else if (!leases.has(jobId)) {
        leases.set(jobId, { attempt: attemptNumber, builder, expiresAt: Date.now() + leaseMs });
      }
    } else if (report.succeeded) {
      const { jobId, attempt: attemptNumber, artifacts } = report.succeeded;
      if ((await attempt(jobId, { type: 'SucceedBuild', attempt: attemptNumber, builder, artifacts, at })) === undefined) reportsRefused.inc({ report: 'succeeded' });
    } else if (report.failed) {
      const { jobId, attempt: attemptNumber, artifacts, code, message } = report.failed;
      const failureClass: FailureClass = report.failed.failureClass === 'package' && code !== 'dependency_wait' ? 'package' : 'infrastructure';
      const failure = reason(failureClass === 'package' ? 'package_failure' : code === 'dependency_wait' ? 'dependency_wait' : 'infrastructure_failure', `${code}: ${message}`);
      if ((await attempt(jobId, { type: 'FailBuild', attempt: attemptNumber, builder, failureClass, reason: failure, artifacts, at })) === undefined) reportsRefused.inc({ report: 'failed' });
    } else if (report.cancelled) {
      const { jobId, attempt: attemptNumber } = report.cancelled;
      if ((await attempt(jobId, { type: 'ConfirmCancel', attempt: attemptNumber, builder, at })) === undefined) reportsRefused.inc({ report: 'cancelled' });
    }
  }

  async function checkLeases(): Promise<void> {
    const current = Date.now();
    for (const [jobId, lease] of leases) {
      if (lease.expiresAt > current) continue;
      leases.delete(jobId);
      leasesExpired.inc();
      logger.warn({ jobId, builder: lease.builder, attempt: lease.attempt }, 'lease expired');
      await attempt(jobId, { type: 'ExpireLease', attempt: lease.attempt, builder: lease.builder, at: now() });
    }
    for (const builder of model.builders.values()) {
      if (builder.lost || current - builder.lastSeen < 2 * deps.heartbeatMs) continue;
      model.builders.set(builder.name, { ...builder, lost: true });
      await handleCommand({ log, stream: builderStreamId(builder.name), decider: builderDecider, command: { type: 'MarkBuilderLost', name: builder.name, at: now() }, metadata: { causedBy: SCHEDULER } });
    }
  }

  /** Reads the whole log into the model: the scheduler's state survives its restarts. */
  async function fold(): Promise<void> {
    for (;;) {
      const page = await log.readAll(foldedUpTo, READ_PAGE);
      if (page.length === 0) break;
      for (const recorded of page) {
        try {
          model.apply(deserializeEvent(recorded.type, recorded.data));
        } catch {
          // An event type this version does not know.
        }
      }
      foldedUpTo = page[page.length - 1]!.position;
    }
    const restartedAt = Date.now();
    for (const tracked of model.jobs.values()) {
      if ((tracked.status === 'Building' || tracked.status === 'Cancelling') && tracked.builder) {
        leases.set(tracked.job.jobId, { attempt: tracked.attempt, builder: tracked.builder, expiresAt: restartedAt + leaseMs });
      }
    }
    for (const builder of model.builders.values()) model.builders.set(builder.name, { ...builder, lastSeen: restartedAt });
  }

  const app = createHttpServer({ logger, ready: () => broker.isConnected() && consumers.length === 2 });

  return {
    app,
    model,
    async start() {
      await fold();
      for (const tracked of [...model.jobs.values()]) {
        if ((tracked.status === 'Waiting' || tracked.status === 'Blocked') && !tracked.queued && tracked.attempt === 0) await judge(tracked.job.jobId);
      }
      // Handled one at a time in delivery order, while RabbitMQ keeps the next ones coming.
      const inOrder = <T>(handler: (body: T) => Promise<void>) => (message: { body: unknown }) => {
        const next = serial.then(() => handler(message.body as T));
        serial = next.catch(() => undefined);
        return next;
      };
      consumers.push(
        await broker.consume({
          queue: broker.names.schedulerEvents,
          bindings: [
            { exchange: broker.names.events, routingKey: 'job.#' },
            { exchange: broker.names.events, routingKey: 'builder.#' },
          ],
          prefetch: EVENTS_PREFETCH,
          handler: inOrder(onEvent),
        }),
      );
      consumers.push(
        await broker.consume({
          queue: broker.names.reportsQueue,
          bindings: [{ exchange: broker.names.reports, routingKey: REPORT_ROUTING_KEY }],
          prefetch: REPORTS_PREFETCH,
          handler: inOrder(async (body: unknown) => {
            let report: Report;
            try {
              report = canonicalMessage('BuilderReport', body, 'read') as unknown as Report;
            } catch (error) {
              throw new PermanentFailure((error as Error).message);
            }
            if (!report.builder) throw new PermanentFailure('BuilderReport.builder: is required');
            await onReport(report);
          }),
        }),
      );
      leaseTimer = setInterval(() => void checkLeases().catch((error: unknown) => logger.error({ err: error }, 'lease check failed')), deps.heartbeatMs / CHECKS_PER_HEARTBEAT);
      const scaler = deps.scaler;
      if (scaler) scaleTimer = setInterval(() => void scaler.scale(model.workByArch()).catch((error: unknown) => logger.warn({ err: error }, 'scaling builder pools failed')), SCALE_EVERY_MS);
      scheduleDispatch();
    },
    async close() {
      closing = true;
      if (leaseTimer) clearInterval(leaseTimer);
      if (scaleTimer) clearInterval(scaleTimer);
      await Promise.all(consumers.map((consumer) => consumer.cancel()));
      await dispatching;
      await app.close();
    },
  };
}
