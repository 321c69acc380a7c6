import { Pool, type PoolConfig } from 'pg';
import type { JsonObject } from '@tsbit/contracts';
import {
  WrongExpectedVersion,
  type AppendResult,
  type EventLog,
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  type StreamAppend,
  type SubscribeOptions,
  type Subscription,
} from '../port';
import { checkAppend, checkAppends, checkFromVersion, checkLimit, checkPosition, checkStream } from '../validation';
import { Notifier } from './notifier';
import { EXPECTED_ANY, EXPECTED_NO_STREAM, notifyChannel, SCHEMA_NAME, schemaSql, WRONG_EXPECTED_VERSION_SQLSTATE } from './schema';
import { startPollingSubscription } from './subscription';

const COLUMNS = 'position, stream, version, type, data, metadata, recorded_at';

export interface PostgresEventLogOptions {
  /** Used for the pool the log makes, and always for its dedicated LISTEN connection. */
  connectionString: string;
  /** Holds the events table and the append function; created if missing. */
  schema: string;
  /** Share a pool with the rest of the service; otherwise the log makes and owns one. */
  pool?: Pool;
  poolConfig?: PoolConfig;
}

interface EventRow {
  position: string;
  stream: string;
  version: number;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
  recorded_at: Date;
}

interface AppendRow {
  stream: string;
  last_version: number;
  last_position: string;
}

const toRecorded = (row: EventRow): RecordedEvent => ({
  stream: row.stream,
  version: row.version,
  // int8 arrives as a string: it may exceed Number.MAX_SAFE_INTEGER.
  position: BigInt(row.position),
  type: row.type,
  data: row.data,
  metadata: row.metadata,
  recordedAt: row.recorded_at,
});

const encodeExpected = (expected: ExpectedVersion): number => (expected === 'any' ? EXPECTED_ANY : expected === 'no_stream' ? EXPECTED_NO_STREAM : expected);

/** The default event log: an append-only table in PostgreSQL. */
export class PostgresEventLog implements EventLog {
  readonly atomicAppendMany = true;
  private readonly subscriptions = new Set<Subscription>();
  private readonly notifier: Notifier;

  private constructor(
    private readonly pool: Pool,
    private readonly ownsPool: boolean,
    private readonly schema: string,
    connectionString: string,
  ) {
    this.notifier = new Notifier({ connectionString, channel: notifyChannel(schema), applicationName: `tsbit-listen-${schema}` });
  }

  static async create(options: PostgresEventLogOptions): Promise<PostgresEventLog> {
    if (typeof options.connectionString !== 'string' || options.connectionString === '') throw new TypeError('connectionString must be a non-empty string');
    if (!SCHEMA_NAME.test(options.schema)) {
      throw new RangeError(`schema must be a lowercase SQL identifier of at most 56 characters ([a-z_][a-z0-9_]*), got "${options.schema}"`);
    }
    const ownsPool = !options.pool;
    const pool = options.pool ?? new Pool({ connectionString: options.connectionString, ...options.poolConfig });
    // An idle client of our own pool that loses its server is dropped by the pool; without a
    // listener, the 'error' event it emits would crash the process.
    if (ownsPool) pool.on('error', () => undefined);
    const log = new PostgresEventLog(pool, ownsPool, options.schema, options.connectionString);
    try {
      await log.migrate();
    } catch (error) {
      if (ownsPool) await pool.end().catch(() => undefined);
      throw error;
    }
    return log;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    const lock = `${this.schema}.migrate`;
    try {
      // Services starting together must not race on CREATE: the first creates, the rest find it done.
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [lock]);
      try {
        await client.query(schemaSql(this.schema));
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]);
      }
      client.release();
    } catch (error) {
      // Destroy rather than return a connection that might still hold the lock.
      client.release(error instanceof Error ? error : true);
      throw error;
    }
  }

  async append(stream: string, events: NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    checkAppend(stream, events, expectedVersion);
    const [result] = await this.appendChecked([{ stream, events, expectedVersion }]);
    return result as AppendResult;
  }

  async appendMany(appends: StreamAppend[]): Promise<AppendResult[]> {
    checkAppends(appends);
    return this.appendChecked(appends);
  }

  /** One call of append_events, whatever the number of streams and events: one round trip. */
  private async appendChecked(appends: StreamAppend[]): Promise<AppendResult[]> {
    if (appends.length === 0) return [];
    const events = appends.flatMap((append) => append.events);
    try {
      const { rows } = await this.pool.query<AppendRow>(
        `SELECT stream, last_version, last_position FROM ${this.schema}.append_events($1::text[], $2::int[], $3::int[], $4::text[], $5::jsonb[], $6::jsonb[])`,
        [
          appends.map((append) => append.stream),
          appends.map((append) => encodeExpected(append.expectedVersion)),
          appends.map((append) => append.events.length),
          events.map((event) => event.type),
          events.map((event) => JSON.stringify(event.data)),
          events.map((event) => JSON.stringify(event.metadata ?? {})),
        ],
      );
      return rows.map((row) => ({ nextExpectedVersion: row.last_version, lastPosition: BigInt(row.last_position) }));
    } catch (error) {
      const pgError = error as { code?: string; detail?: string };
      if (pgError.code !== WRONG_EXPECTED_VERSION_SQLSTATE) throw error;
      const { stream, actual } = JSON.parse(pgError.detail ?? '{}') as { stream: string; actual: number };
      const expected = appends.find((append) => append.stream === stream)?.expectedVersion ?? 'any';
      throw new WrongExpectedVersion(stream, expected, actual === EXPECTED_NO_STREAM ? 'no_stream' : actual);
    }
  }

  async readStream(stream: string, fromVersion = 0): Promise<RecordedEvent[]> {
    checkStream(stream);
    checkFromVersion(fromVersion);
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.events WHERE stream = $1 AND version >= $2 ORDER BY version`,
      [stream, fromVersion],
    );
    return rows.map(toRecorded);
  }

  async readAll(after: bigint, limit: number): Promise<RecordedEvent[]> {
    checkPosition(after, 'after');
    checkLimit(limit);
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.events WHERE position > $1 ORDER BY position LIMIT $2`,
      [after.toString(), limit],
    );
    return rows.map(toRecorded);
  }

  async headPosition(): Promise<bigint> {
    const { rows } = await this.pool.query<{ head: string }>(`SELECT coalesce(max(position), 0) AS head FROM ${this.schema}.events`);
    return BigInt(rows[0]?.head ?? 0);
  }

  subscribe(options: SubscribeOptions, handler: (event: RecordedEvent) => Promise<void>): Subscription {
    checkPosition(options.after, 'after');
    const subscription = startPollingSubscription(
      {
        readAll: (after, limit) => this.readAll(after, limit),
        notifier: this.notifier,
        finished: () => this.subscriptions.delete(subscription),
      },
      options,
      handler,
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Stops every subscription (each finishes its handler in flight), then ends the pool if it is ours. */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    if (this.ownsPool) await this.pool.end();
  }
}
