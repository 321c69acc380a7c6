import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresEventLog } from '@tsbit/event-log';
import { waitFor } from '@tsbit/service-kit';
import { Broker } from './broker';
import { PostgresRelayCheckpoints, startRelay, withLeaderLock, type EventMessage } from './relay';
import { deleteTopology } from './testing';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

describe('the log relay', () => {
  const id = randomBytes(4).toString('hex');
  const prefix = `relay-${id}`;
  const schema = `relay_${id}`;
  const queue = `${prefix}.observer`;
  let pool: Pool;
  let log: PostgresEventLog;
  let broker: Broker;
  const received: EventMessage[] = [];

  beforeAll(async () => {
    pool = new Pool({ connectionString: DATABASE_URL });
    log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema, pool });
    broker = await Broker.create({ url: AMQP_URL, prefix, name: `relay-test-${id}` });
    await broker.consume({
      queue,
      bindings: [{ exchange: broker.names.events, routingKey: 'job.#' }],
      prefetch: 1,
      handler: async (message) => {
        received.push(message.body as EventMessage);
      },
    });
  });
  afterAll(async () => {
    await broker.close();
    await log.close();
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
    await deleteTopology(AMQP_URL, prefix, [queue]);
  });

  const append = (jobId: number, count: number, from: number) =>
    log.append(
      `job-${jobId}`,
      Array.from({ length: count }, (_, n) => ({ type: 'JobQueued', data: { jobId, attempt: from + n } })),
      from === 0 ? 'no_stream' : from - 1,
    );

  it('publishes events appended before and after it starts, in log order, and resumes from its checkpoint', async () => {
    await append(1, 3, 0);
    const checkpoints = await PostgresRelayCheckpoints.create({ pool, schema, name: 'relay' });
    const relay = await startRelay({ log, broker, checkpoints });
    await append(2, 2, 0);
    await waitFor('five events', () => received.length >= 5);
    await relay.stop();
    expect(await checkpoints.load()).toBe(5n);

    await append(1, 2, 3);
    const resumed = await startRelay({ log, broker, checkpoints });
    await waitFor('seven events', () => received.length >= 7);
    await resumed.stop();

    expect(received.map((message) => Number(message.position))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(received[0]).toMatchObject({ stream: 'job-1', version: 0, type: 'JobQueued', data: { jobId: 1, attempt: 0 } });
    expect(new Date(received[0]!.recordedAt).getTime()).not.toBeNaN();
  });

  it('lets one relay publish at a time and another take over when it stops', async () => {
    const lock = `relay-leader-${id}`;
    const started: string[] = [];
    const first = await withLeaderLock(pool, lock, async () => {
      started.push('first');
      return { stop: async () => undefined };
    });
    await waitFor('the first to lead', () => first.isLeader());
    const second = await withLeaderLock(pool, lock, async () => {
      started.push('second');
      return { stop: async () => undefined };
    });
    expect(second.isLeader()).toBe(false);
    await first.stop();
    await waitFor('the second to take over', () => second.isLeader(), { timeoutMs: 5000 });
    expect(started).toEqual(['first', 'second']);
    await second.stop();
  });
});
