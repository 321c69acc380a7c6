import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { Pool } from 'pg';
import pino from 'pino';
import { builderDecider, builderStreamId, deserializeEvent, jobDecider, jobStreamId, type BuilderCommand, type JobCommand, type JobEvent, type JobState, type JobSubmitted } from '@tsbit/domain';
import { handleCommand, PostgresEventLog, type RecordedEvent } from '@tsbit/event-log';
import { Broker, PostgresRelayCheckpoints, startRelay, topologyNames } from '@tsbit/messaging';
import { deleteAmqpObjects } from '@tsbit/messaging/testing';
import { submittedJob } from '@tsbit/read-models/testing';
import { waitFor } from '@tsbit/service-kit';
import { createScheduler, type Scheduler, type SchedulerDeps } from '../app';
import { TestBuilder, type TestBuilderOptions } from './test-builder';

// Everything a scheduler integration test needs, isolated: its own PostgreSQL schema and AMQP
// prefix, the real log, the real relay publishing the log to the events exchange, and builders
// simulated over real RabbitMQ messages.

export const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const TIMEOUT_MS = 10_000;
const ADMIN = { kind: 'user' as const, name: 'admin' };

export interface HarnessOptions {
  heartbeatMs?: number;
  dependencyWaitBackoffMs?: number;
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;
type Relay = Awaited<ReturnType<typeof startRelay>>;
type BuilderChange = Partial<Omit<TestBuilderOptions, 'url' | 'prefix' | 'name'>>;

export async function startHarness(options: HarnessOptions = {}) {
  const id = randomBytes(4).toString('hex');
  const schema = `sched_${id}`;
  const prefix = `test-sched-${id}`;
  const names = topologyNames(prefix);
  const logger = pino({ level: process.env['TSBIT_TEST_LOG_LEVEL'] ?? 'silent' });
  const pool = new Pool({ connectionString: DATABASE_URL, max: 8 });
  const log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema, pool });
  const broker = await Broker.create({ url: AMQP_URL, prefix, name: `scheduler-test-${id}`, logger });
  const relays: Relay[] = [];
  const builders: TestBuilder[] = [];
  let scheduler: Scheduler | undefined;

  /** A relay with a checkpoint of its own: a new name starts from position 0. */
  const startRelayFrom = async (checkpointName: string): Promise<{ relay: Relay; checkpoint(): Promise<bigint> }> => {
    const checkpoints = await PostgresRelayCheckpoints.create({ pool, schema, name: checkpointName });
    const relay = await startRelay({ log, broker, checkpoints });
    relays.push(relay);
    return { relay, checkpoint: () => checkpoints.load() };
  };
  await startRelayFrom('relay');

  const schedulerDeps: SchedulerDeps = {
    log,
    broker,
    logger,
    heartbeatMs: options.heartbeatMs ?? 60_000,
    prefix,
    dependencyWaitBackoffMs: options.dependencyWaitBackoffMs ?? 60_000,
  };

  async function readJob(jobId: number): Promise<{ state: JobState; events: RecordedEvent[] }> {
    const events = await log.readStream(jobStreamId(jobId));
    const state = events.reduce<JobState>((folded, event) => jobDecider.evolve(folded, deserializeEvent(event.type, event.data) as JobEvent), jobDecider.initialState());
    return { state, events };
  }

  const harness = {
    id,
    prefix,
    names,
    log,
    broker,
    logger,
    get scheduler(): Scheduler {
      if (!scheduler) throw new Error('no scheduler started');
      return scheduler;
    },

    async startScheduler(change: Partial<SchedulerDeps> = {}): Promise<Scheduler> {
      scheduler = createScheduler({ ...schedulerDeps, ...change });
      await scheduler.start();
      return scheduler;
    },

    async stopScheduler(): Promise<void> {
      await scheduler?.close();
      scheduler = undefined;
    },

    startRelayFrom,

    async builder(name: string, change: BuilderChange = {}): Promise<TestBuilder> {
      const builder = await TestBuilder.start({ url: AMQP_URL, prefix, name: `${name}-${id}`, ...change });
      builders.push(builder);
      return builder;
    },

    /** A builder that has said hello and that the scheduler knows. */
    async onlineBuilder(name: string, change: BuilderChange = {}): Promise<TestBuilder> {
      const builder = await harness.builder(name, change);
      await builder.hello();
      await waitFor(`builder ${builder.name} online`, () => harness.scheduler.model.builder(builder.name)?.state.status === 'Online', { timeoutMs: TIMEOUT_MS });
      return builder;
    },

    /** Submits a job as job-intake does: SubmitJob through the job decider, appended to the log. */
    async submit(jobId: number, change: Partial<JobSubmitted['data']> = {}): Promise<void> {
      const { submittedAt: _submittedAt, ...job } = submittedJob(jobId, change).data;
      await handleCommand({ log, stream: jobStreamId(jobId), decider: jobDecider, command: { type: 'SubmitJob', job, at: new Date().toISOString() }, metadata: { causedBy: ADMIN } });
    },

    /** Many submissions in one append, as job-intake's batch. */
    async submitMany(jobIds: number[], change: Partial<JobSubmitted['data']> = {}): Promise<void> {
      const at = new Date().toISOString();
      await log.appendMany(
        jobIds.map((jobId) => {
          const data = { ...submittedJob(jobId, change).data, submittedAt: at };
          return { stream: jobStreamId(jobId), events: [{ type: 'JobSubmitted', data, metadata: { causedBy: ADMIN } }], expectedVersion: 'no_stream' as const };
        }),
      );
    },

    async jobCommand(jobId: number, command: JobCommand): Promise<void> {
      await handleCommand({ log, stream: jobStreamId(jobId), decider: jobDecider, command, metadata: { causedBy: ADMIN } });
    },

    async builderCommand(name: string, command: BuilderCommand): Promise<void> {
      await handleCommand({ log, stream: builderStreamId(name), decider: builderDecider, command, metadata: { causedBy: ADMIN } });
    },

    readJob,

    async eventTypes(jobId: number): Promise<string[]> {
      return (await readJob(jobId)).events.map((event) => event.type);
    },

    /** Waits until the job's stream holds an event matching `match`, and returns it. */
    async waitForEvent(jobId: number, type: string, match: (data: Record<string, unknown>) => boolean = () => true): Promise<RecordedEvent> {
      return waitFor(`${type} in job-${jobId}`, async () => (await log.readStream(jobStreamId(jobId))).find((event) => event.type === type && match(event.data)), { timeoutMs: TIMEOUT_MS });
    },

    async waitForStatus(jobId: number, status: JobState['status']): Promise<JobState> {
      return waitFor(
        `job ${jobId} ${status}`,
        async () => {
          const { state } = await readJob(jobId);
          return state.status === status ? state : undefined;
        },
        { timeoutMs: TIMEOUT_MS },
      );
    },

    waitUntil<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> {
      return waitFor(what, probe, { timeoutMs: TIMEOUT_MS });
    },

    /** Takes what was dead-lettered under this prefix. */
    async deadLetters(): Promise<{ body: string; reason: unknown }[]> {
      const connection = await amqp.connect(AMQP_URL);
      try {
        const channel = await connection.createChannel();
        const taken: { body: string; reason: unknown }[] = [];
        for (;;) {
          const message = await channel.get(names.deadLetterQueue, { noAck: true });
          if (message === false) break;
          taken.push({ body: message.content.toString('utf8'), reason: message.properties.headers?.['x-tsbit-reason'] });
        }
        return taken;
      } finally {
        await connection.close();
      }
    },

    /** Stops everything and removes the schema and every exchange and queue under the prefix. */
    async close(): Promise<void> {
      await scheduler?.close();
      for (const relay of relays) await relay.stop();
      for (const builder of builders) await builder.close();
      await broker.close();
      const queues = [
        names.schedulerEvents,
        `${names.schedulerEvents}.retry`,
        names.reportsQueue,
        `${names.reportsQueue}.retry`,
        names.deadLetterQueue,
        ...builders.flatMap((builder) => builder.buildQueues()),
      ];
      const exchanges = [names.events, names.builds, names.reports, names.control, names.deadLetter];
      await deleteAmqpObjects(AMQP_URL, { queues, exchanges });
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    },
  };
  return harness;
}
