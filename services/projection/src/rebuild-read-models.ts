import type { Pool } from 'pg';
import type { EventLog } from '@tsbit/event-log';
import { applyEvents, migrateReadModels, READ_MODEL_TABLES } from '@tsbit/read-models';
import { PROJECTION_NAME } from './projector';

const REBUILD_BATCH = 5000;

/**
 * Replays the whole log, from position 0, into a fresh shadow schema. Nothing live is touched, so
 * the result can be compared with the live read models or swapped in.
 */
export async function rebuildInto(options: { log: EventLog; pool: Pool; shadowSchema: string }): Promise<{ events: number; position: bigint }> {
  const { log, pool, shadowSchema } = options;
  await pool.query(`DROP SCHEMA IF EXISTS ${shadowSchema} CASCADE`);
  await migrateReadModels(pool, shadowSchema);
  let position = 0n;
  let events = 0;
  for (;;) {
    const batch = await log.readAll(position, REBUILD_BATCH);
    if (batch.length === 0) break;
    const client = await pool.connect();
    try {
      await applyEvents(client, shadowSchema, PROJECTION_NAME, batch);
    } finally {
      client.release();
    }
    position = batch[batch.length - 1]!.position;
    events += batch.length;
  }
  return { events, position };
}

/**
 * Replaces the live read models with the shadow ones in one transaction. A live projection that
 * keeps running afterwards re-applies what it had not yet seen; its evolve functions skip what
 * the rebuilt rows already hold.
 */
export async function swapIn(pool: Pool, schema: string, shadowSchema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const table of READ_MODEL_TABLES) {
      await client.query(`LOCK TABLE ${schema}.${table} IN ACCESS EXCLUSIVE MODE`);
      await client.query(`TRUNCATE ${schema}.${table}`);
      await client.query(`INSERT INTO ${schema}.${table} SELECT * FROM ${shadowSchema}.${table}`);
    }
    await client.query('COMMIT');
    await client.query(`DROP SCHEMA ${shadowSchema} CASCADE`);
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
