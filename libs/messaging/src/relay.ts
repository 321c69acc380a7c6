import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { EventLog, RecordedEvent } from '@tsbit/event-log';
import type { Broker } from './broker';
import { eventRoutingKey } from './topology';

/**
 * Publishes in flight before the relay waits for their confirms. The channel keeps them in
 * order; the checkpoint only moves past events whose confirms have all arrived.
 */
const PUBLISH_WINDOW = 500;
const IDLE_FLUSH_MS = 20;
const LEADER_RETRY_MS = 1000;

export interface RelayCheckpoints {
  load(): Promise<bigint>;
  save(position: bigint): Promise<void>;
}

/** The body of an event on the events exchange. */
export interface EventMessage {
  position: string;
  stream: string;
  version: number;
  type: string;
  data: RecordedEvent['data'];
  metadata: RecordedEvent['metadata'];
  recordedAt: string;
}

export function toEventMessage(event: RecordedEvent): EventMessage {
  return {
    position: event.position.toString(),
    stream: event.stream,
    version: event.version,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt.toISOString(),
  };
}

/**
 * Publishes every event of the log to the events exchange, in log order, at least once. The
 * checkpoint moves only after the broker has confirmed the events before it, so a relay that
 * dies re-publishes a few events (consumers are idempotent) and never skips one.
 */
export async function startRelay(options: {
  log: EventLog;
  broker: Broker;
  checkpoints: RelayCheckpoints;
  logger?: Pick<Logger, 'error' | 'info'>;
}): Promise<{ stop(): Promise<void> }> {
  const { log, broker, checkpoints } = options;
  let saved = await checkpoints.load();
  let inFlight: { position: bigint; confirmed: Promise<void> }[] = [];
  let flushing: Promise<void> = Promise.resolve();

  /** Waits for the confirms of everything published so far, then saves the checkpoint. */
  const flush = (): Promise<void> => {
    const batch = inFlight;
    inFlight = [];
    flushing = flushing.then(async () => {
      if (batch.length === 0) return;
      await Promise.all(batch.map((item) => item.confirmed));
      const position = batch[batch.length - 1]!.position;
      await checkpoints.save(position);
      saved = position;
    });
    return flushing;
  };

  let idleTimer: NodeJS.Timeout | undefined;
  const subscription = log.subscribe(
    {
      after: saved,
      onError: (error) => options.logger?.error({ err: error }, 'relay stopped'),
    },
    async (event) => {
      const confirmed = broker.publish(broker.names.events, eventRoutingKey(event.stream, event.type), toEventMessage(event), {
        messageId: `${event.stream}:${event.version}`,
        headers: { 'x-tsbit-position': event.position.toString() },
      });
      // Observed here so that a failure surfaces at flush, not as an unhandled rejection.
      confirmed.catch(() => undefined);
      inFlight.push({ position: event.position, confirmed });
      clearTimeout(idleTimer);
      if (inFlight.length >= PUBLISH_WINDOW) await flush();
      else idleTimer = setTimeout(() => void flush().catch((error: unknown) => options.logger?.error({ err: error }, 'relay publish failed')), IDLE_FLUSH_MS);
    },
  );

  return {
    stop: async () => {
      await subscription.stop();
      clearTimeout(idleTimer);
      await flush();
    },
  };
}

/** The relay's checkpoint, in PostgreSQL next to the read models. */
export class PostgresRelayCheckpoints implements RelayCheckpoints {
  private constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly name: string,
  ) {}

  static async create(options: { pool: Pool; schema: string; name: string }): Promise<PostgresRelayCheckpoints> {
    await options.pool.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
    await options.pool.query(
      `CREATE TABLE IF NOT EXISTS ${options.schema}.relay_checkpoint (name text PRIMARY KEY, position bigint NOT NULL)`,
    );
    return new PostgresRelayCheckpoints(options.pool, options.schema, options.name);
  }

  async load(): Promise<bigint> {
    const { rows } = await this.pool.query<{ position: string }>(`SELECT position FROM ${this.schema}.relay_checkpoint WHERE name = $1`, [this.name]);
    return BigInt(rows[0]?.position ?? 0);
  }

  async save(position: bigint): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.schema}.relay_checkpoint (name, position) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET position = GREATEST(${this.schema}.relay_checkpoint.position, EXCLUDED.position)`,
      [this.name, position.toString()],
    );
  }
}

/**
 * Runs `work` only while this process holds a PostgreSQL session advisory lock, so that one relay
 * publishes at a time; the others wait, and one takes over when the holder's session ends.
 */
export async function withLeaderLock(
  pool: Pool,
  lockName: string,
  work: () => Promise<{ stop(): Promise<void> }>,
): Promise<{ stop(): Promise<void>; isLeader(): boolean }> {
  const client = await pool.connect();
  let stopped = false;
  let running: { stop(): Promise<void> } | undefined;
  const attempt = async (): Promise<void> => {
    while (!stopped) {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [lockName]);
      if (rows[0]?.locked) {
        if (stopped) break;
        running = await work();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, LEADER_RETRY_MS));
    }
  };
  const acquiring = attempt();
  return {
    isLeader: () => running !== undefined,
    stop: async () => {
      stopped = true;
      await acquiring.catch(() => undefined);
      await running?.stop();
      await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      client.release();
    },
  };
}
