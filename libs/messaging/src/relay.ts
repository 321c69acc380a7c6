import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { EventLog, RecordedEvent } from '@tsbit/event-log';
import type { Broker } from './broker';
import { eventRoutingKey } from './topology';

/** Checkpoints are saved at most this often while events stream; always when the log goes idle. */
const CHECKPOINT_EVERY_EVENTS = 200;
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
  let published = saved;
  let sinceSave = 0;
  let saving: Promise<void> = Promise.resolve();

  const save = (): void => {
    if (published === saved) return;
    const position = published;
    saving = saving.then(async () => {
      await checkpoints.save(position);
      saved = position;
    });
    sinceSave = 0;
  };

  let idleTimer: NodeJS.Timeout | undefined;
  const subscription = log.subscribe(
    {
      after: saved,
      onError: (error) => options.logger?.error({ err: error }, 'relay stopped'),
    },
    async (event) => {
      await broker.publish(broker.names.events, eventRoutingKey(event.stream, event.type), toEventMessage(event), {
        messageId: `${event.stream}:${event.version}`,
        headers: { 'x-tsbit-position': event.position.toString() },
      });
      published = event.position;
      sinceSave += 1;
      if (sinceSave >= CHECKPOINT_EVERY_EVENTS) save();
      clearTimeout(idleTimer);
      idleTimer = setTimeout(save, 20);
    },
  );

  return {
    stop: async () => {
      await subscription.stop();
      clearTimeout(idleTimer);
      save();
      await saving;
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
