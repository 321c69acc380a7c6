import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { EventLog, RecordedEvent, Subscription } from '@tsbit/event-log';
import { applyEvents, createReadModels } from '@tsbit/read-models';
import { counter } from '@tsbit/service-kit';

/** Events projected in one transaction at most; a burst is cut into batches of this size. */
export const MAX_BATCH = 1000;
export const PROJECTION_NAME = 'read-models';

const projected = counter('tsbit_projection_events_total', 'Events applied to the read models');

/**
 * Follows the log from the read models' checkpoint and applies what arrives in batches: whatever
 * accumulated while the previous batch was being written goes into the next one, so a quiet log
 * is projected within milliseconds and a burst in large, efficient transactions.
 */
export async function startProjector(options: { log: EventLog; pool: Pool; schema: string; logger: Pick<Logger, 'error'> }): Promise<{ stop(): Promise<void>; position(): bigint }> {
  const { log, pool, schema } = options;
  let position = await createReadModels(pool, schema).checkpoint(PROJECTION_NAME);
  let pending: RecordedEvent[] = [];
  let flushing: Promise<void> = Promise.resolve();
  let failed: Error | undefined;

  const flush = (): Promise<void> => {
    flushing = flushing.then(async () => {
      while (pending.length > 0) {
        const batch = pending.slice(0, MAX_BATCH);
        pending = pending.slice(batch.length);
        const client = await pool.connect();
        try {
          await applyEvents(client, schema, PROJECTION_NAME, batch);
        } finally {
          client.release();
        }
        position = (batch[batch.length - 1] as RecordedEvent).position;
        projected.inc(batch.length);
      }
    });
    return flushing;
  };

  const subscription: Subscription = log.subscribe(
    {
      after: position,
      onError: (error) => {
        failed = error;
        options.logger.error({ err: error }, 'projection stopped');
      },
    },
    async (event) => {
      pending.push(event);
      // Back-pressure: a long backlog waits for the batch in flight instead of piling up in memory.
      if (pending.length >= MAX_BATCH) await flush();
      else setImmediate(() => void flush().catch((error: unknown) => options.logger.error({ err: error }, 'projection batch failed')));
    },
  );

  return {
    position: () => {
      if (failed) throw failed;
      return position;
    },
    stop: async () => {
      await subscription.stop();
      await flush();
    },
  };
}
