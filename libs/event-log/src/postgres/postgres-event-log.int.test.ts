import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { waitFor } from '@tsbit/service-kit';
import { eventLogContract } from '../contract/event-log.contract';
import type { RecordedEvent } from '../port';
import { PostgresEventLog } from './postgres-event-log';

const DATABASE_URL = process.env.TSBIT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WAIT_MS = 10_000;

const freshSchema = (): string => `log_${randomBytes(5).toString('hex')}`;

async function sql<Row extends object = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const waitUntil = (what: string, condition: () => Promise<boolean> | boolean): Promise<true> =>
  waitFor(what, async () => (await condition()) || undefined, { timeoutMs: WAIT_MS });

eventLogContract('PostgreSQL', async () => {
  const schema = freshSchema();
  const log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema });
  return {
    log,
    cleanup: async () => {
      await log.close();
      await sql(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
});

describe('PostgreSQL event log', () => {
  const schema = freshSchema();
  const pool = new Pool({ connectionString: DATABASE_URL, max: 8 });
  let log: PostgresEventLog;

  beforeAll(async () => {
    log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema, pool });
  });
  afterAll(async () => {
    await log.close();
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  });

  it('appends a thousand events to a thousand streams in one query, all or nothing', async () => {
    const before = await log.headPosition();
    const appends = Array.from({ length: 1000 }, (_, n) => ({ stream: `bulk-${n}`, events: [{ type: 'T', data: { n } }], expectedVersion: 'no_stream' as const }));
    const queries = jest.spyOn(pool, 'query');
    try {
      const results = await log.appendMany(appends);
      expect(queries).toHaveBeenCalledTimes(1);
      expect(results.map((result) => result.lastPosition)).toEqual(appends.map((_, n) => before + BigInt(n + 1)));
      // One stale entry among a thousand: nothing of the call is written.
      const again = appends.map((append, n) => ({ ...append, expectedVersion: n === 999 ? ('no_stream' as const) : 0 }));
      await expect(log.appendMany(again)).rejects.toMatchObject({ stream: 'bulk-999', actual: 0 });
      expect(queries).toHaveBeenCalledTimes(2);
    } finally {
      queries.mockRestore();
    }
    expect(await log.headPosition()).toBe(before + 1000n);
  });

  it('numbers the log densely from 1, even while many writers append at once', async () => {
    const before = await log.headPosition();
    await Promise.all(
      Array.from({ length: 20 }, async (_, writer) => {
        for (let n = 0; n < 5; n += 1) await log.append(`dense-${writer}`, [{ type: 'T', data: { n } }], n === 0 ? 'no_stream' : n - 1);
      }),
    );
    const positions = (await log.readAll(before, 1000)).map((recorded) => recorded.position);
    expect(positions).toEqual(Array.from({ length: 100 }, (_, n) => before + BigInt(n + 1)));
    const [first] = await sql<{ position: string }>(`SELECT min(position)::text AS position FROM ${schema}.events`);
    expect(first?.position).toBe('1');
  });

  it('checks the expected version of an append without events, and writes nothing', async () => {
    const stream = 'empty-append';
    const written = await log.append(stream, [{ type: 'T', data: {} }], 'no_stream');
    expect(await log.append(stream, [], 0)).toEqual(written);
    await expect(log.append(stream, [], 'no_stream')).rejects.toMatchObject({ actual: 0 });
    expect(await log.readStream(stream)).toHaveLength(1);
  });

  it('notifies <schema>_events with the last position of each append', async () => {
    const listener = new Client({ connectionString: DATABASE_URL });
    await listener.connect();
    try {
      const payloads: string[] = [];
      listener.on('notification', (message) => payloads.push(message.payload ?? ''));
      await listener.query(`LISTEN ${schema}_events`);
      const result = await log.append('notified', [{ type: 'T', data: {} }, { type: 'T', data: {} }], 'no_stream');
      await waitUntil('the notification', () => payloads.length >= 1);
      expect(payloads).toEqual([result.lastPosition.toString()]);
    } finally {
      await listener.end();
    }
  });

  it('opens its LISTEN connection again when it drops, and subscribers go on', async () => {
    const applicationName = `tsbit-listen-${schema}`;
    const listeners = async (): Promise<number[]> =>
      (await sql<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE $2', [applicationName, 'LISTEN%'])).map((row) => row.pid);
    const delivered: RecordedEvent[] = [];
    const subscription = log.subscribe({ after: await log.headPosition() }, async (recorded) => {
      delivered.push(recorded);
    });
    try {
      await waitUntil('the LISTEN connection', async () => (await listeners()).length === 1);
      const [old] = await listeners();
      await sql('SELECT pg_terminate_backend($1)', [old]);
      await waitUntil('a new LISTEN connection', async () => {
        const pids = await listeners();
        return pids.length === 1 && pids[0] !== old;
      });
      await log.append('after-reconnect', [{ type: 'T', data: {} }], 'no_stream');
      await waitUntil('the event', () => delivered.length >= 1);
      expect(delivered.map((recorded) => recorded.stream)).toEqual(['after-reconnect']);
    } finally {
      await subscription.stop();
    }
    // The last subscription gone, so is the connection.
    await waitUntil('the LISTEN connection to close', async () => (await listeners()).length === 0);
  });

  it('stops its subscriptions on close, and ends only a pool it made', async () => {
    const own = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema });
    const errors: Error[] = [];
    own.subscribe({ after: 0n, onError: (error) => errors.push(error) }, async () => undefined);
    await own.close();
    expect(errors).toEqual([]);
    await expect(own.headPosition()).rejects.toThrow();
    // The shared pool of `log` is still usable.
    expect(await log.headPosition()).toBeGreaterThan(0n);
  });

  it('refuses to update, delete or truncate events', async () => {
    await log.append('immutable', [{ type: 'T', data: { n: 1 } }], 'no_stream');
    await expect(sql(`UPDATE ${schema}.events SET data = '{}' WHERE stream = 'immutable'`)).rejects.toMatchObject({ code: 'TB002' });
    await expect(sql(`DELETE FROM ${schema}.events WHERE stream = 'immutable'`)).rejects.toMatchObject({ code: 'TB002' });
    await expect(sql(`TRUNCATE ${schema}.events`)).rejects.toMatchObject({ code: 'TB002' });
    expect((await log.readStream('immutable')).map((recorded) => recorded.data)).toEqual([{ n: 1 }]);
  });

  it('creates its schema once when several services start at the same time', async () => {
    const shared = freshSchema();
    try {
      const logs = await Promise.all(Array.from({ length: 4 }, () => PostgresEventLog.create({ connectionString: DATABASE_URL, schema: shared })));
      await logs[0]?.append('s', [{ type: 'T', data: {} }], 'no_stream');
      expect(await logs[3]?.headPosition()).toBe(1n);
      await Promise.all(logs.map((each) => each.close()));
    } finally {
      await sql(`DROP SCHEMA IF EXISTS ${shared} CASCADE`);
    }
  });

  it('refuses a schema name that is not a plain lowercase identifier', async () => {
    await expect(PostgresEventLog.create({ connectionString: DATABASE_URL, schema: 'x; DROP TABLE y' })).rejects.toThrow(/schema must be/);
    await expect(PostgresEventLog.create({ connectionString: DATABASE_URL, schema: 'a'.repeat(57) })).rejects.toThrow(/schema must be/);
  });
});
