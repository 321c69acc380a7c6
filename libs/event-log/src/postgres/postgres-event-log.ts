import { Client, Pool, type PoolConfig } from 'pg';
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
import { schemaSql, WRONG_EXPECTED_VERSION_SQLSTATE } from './schema';

const SUBSCRIPTION_PAGE_SIZE = 1000;
/** Notifications wake subscribers at once; the poll only covers a lost LISTEN connection. */
const SUBSCRIPTION_POLL_MS = 500;
const NO_STREAM = -1;
const ANY = -2;

export interface PostgresEventLogOptions {
  connectionString: string;
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

const toRecorded = (row: EventRow): RecordedEvent => ({
  stream: row.stream,
  version: row.version,
  position: BigInt(row.position),
  type: row.type,
  data: row.data,
  metadata: row.metadata,
  recordedAt: row.recorded_at,
});

const encodeExpected = (expected: ExpectedVersion): number => (expected === 'any' ? ANY : expected === 'no_stream' ? NO_STREAM : expected);

/** The default event log: an append-only table in PostgreSQL. */
export class PostgresEventLog implements EventLog {
  readonly atomicAppendMany = true;

  private constructor(
    private readonly pool: Pool,
    private readonly ownsPool: boolean,
    private readonly schema: string,
    private readonly connectionString: string,
  ) {}

  static async create(options: PostgresEventLogOptions): Promise<PostgresEventLog> {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.schema)) throw new Error(`invalid schema name "${options.schema}"`);
    const pool = options.pool ?? new Pool({ connectionString: options.connectionString, ...options.poolConfig });
    const log = new PostgresEventLog(pool, !options.pool, options.schema, options.connectionString);
    await log.migrate();
    return log;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Concurrent first starts of several services must not race on CREATE.
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [`${this.schema}.migrate`]);
      await client.query(schemaSql(this.schema));
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`${this.schema}.migrate`]).catch(() => undefined);
      client.release();
    }
  }

  async append(stream: string, events: NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    const [result] = await this.appendMany([{ stream, events, expectedVersion }]);
    return result as AppendResult;
  }

  async appendMany(appends: StreamAppend[]): Promise<AppendResult[]> {
    const nonEmpty = appends.filter((append) => append.events.length > 0);
    if (nonEmpty.length === 0) return appends.map(() => ({ nextExpectedVersion: -1, lastPosition: 0n }));
    const events = nonEmpty.flatMap((append) => append.events);
    try {
      const { rows } = await this.pool.query<{ stream: string; last_version: number; last_position: string }>(
        `SELECT * FROM ${this.schema}.append_events($1::text[], $2::int[], $3::int[], $4::text[], $5::jsonb[], $6::jsonb[])`,
        [
          nonEmpty.map((append) => append.stream),
          nonEmpty.map((append) => encodeExpected(append.expectedVersion)),
          nonEmpty.map((append) => append.events.length),
          events.map((event) => event.type),
          events.map((event) => JSON.stringify(event.data)),
          events.map((event) => JSON.stringify(event.metadata ?? {})),
        ],
      );
      const byStream = new Map(rows.map((row) => [row.stream, row]));
      return appends.map((append) => {
        const row = byStream.get(append.stream);
        return row
          ? { nextExpectedVersion: row.last_version, lastPosition: BigInt(row.last_position) }
          : { nextExpectedVersion: typeof append.expectedVersion === 'number' ? append.expectedVersion : -1, lastPosition: 0n };
      });
    } catch (error) {
      const pgError = error as { code?: string; message: string; detail?: string };
      if (pgError.code === WRONG_EXPECTED_VERSION_SQLSTATE) {
        const stream = pgError.message;
        const actual = Number(pgError.detail);
        const expected = nonEmpty.find((append) => append.stream === stream)?.expectedVersion ?? 'any';
        throw new WrongExpectedVersion(stream, expected, actual === NO_STREAM ? 'no_stream' : actual);
      }
      throw error;
    }
  }

  async readStream(stream: string, fromVersion = 0): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT * FROM ${this.schema}.events WHERE stream = $1 AND version >= $2 ORDER BY version`,
      [stream, fromVersion],
    );
    return rows.map(toRecorded);
  }

  async readAll(after: bigint, limit: number): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT * FROM ${this.schema}.events WHERE position > $1 ORDER BY position LIMIT $2`,
      [after.toString(), limit],
    );
    return rows.map(toRecorded);
  }

  async headPosition(): Promise<bigint> {
    const { rows } = await this.pool.query<{ head: string }>(`SELECT coalesce(max(position), 0) AS head FROM ${this.schema}.events`);
    return BigInt(rows[0]?.head ?? 0);
  }

  subscribe(options: SubscribeOptions, handler: (event: RecordedEvent) => Promise<void>): Subscription {
    let position = options.after;
    let stopped = false;
    let wake: (() => void) | undefined;
    let listener: Client | undefined;
    const channel = `${this.schema}_events`;

    const listen = async (): Promise<void> => {
      const client = new Client({ connectionString: this.connectionString });
      client.on('error', () => {
        // A lost LISTEN connection only delays wake-ups: the poll goes on; reconnect lazily.
        if (listener === client) listener = undefined;
      });
      client.on('notification', () => wake?.());
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      if (stopped) await client.end();
      else listener = client;
    };

    const loop = async (): Promise<void> => {
      while (!stopped) {
        if (!listener) await listen().catch(() => undefined);
        const page = await this.readAll(position, SUBSCRIPTION_PAGE_SIZE);
        for (const event of page) {
          if (stopped) return;
          await handler(event);
          position = event.position;
        }
        if (page.length < SUBSCRIPTION_PAGE_SIZE && !stopped) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, SUBSCRIPTION_POLL_MS);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
        }
      }
    };

    const running = loop().catch((error: unknown) => {
      stopped = true;
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
    });

    return {
      stop: async () => {
        stopped = true;
        wake?.();
        await running;
        await listener?.end().catch(() => undefined);
        listener = undefined;
      },
    };
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}
