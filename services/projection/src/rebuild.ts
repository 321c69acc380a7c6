import { Pool } from 'pg';
import { createEventLog } from '@tsbit/event-log';
import { readConfig } from '@tsbit/service-kit';
import { configSchema } from './config';
import { rebuildInto, swapIn } from './rebuild-read-models';

/** `npm run rebuild-projections`: every read model rebuilt from position 0 of the log, then swapped in. */
async function main(): Promise<void> {
  const config = readConfig(configSchema);
  const pool = new Pool({ connectionString: config.TSBIT_DATABASE_URL });
  const log = await createEventLog({ kind: config.TSBIT_EVENT_LOG, databaseUrl: config.TSBIT_DATABASE_URL, schema: config.TSBIT_PG_SCHEMA, eventStoreDbUrl: config.TSBIT_EVENTSTOREDB_URL });
  const started = performance.now();
  const shadow = `${config.TSBIT_PG_SCHEMA}_rebuild`;
  const { events, position } = await rebuildInto({ log, pool, shadowSchema: shadow });
  await swapIn(pool, config.TSBIT_PG_SCHEMA, shadow);
  process.stdout.write(`rebuilt the read models of "${config.TSBIT_PG_SCHEMA}" from ${events} events (up to position ${position}) in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
  await log.close();
  await pool.end();
}

main().catch((error: unknown) => {
  process.stderr.write(`rebuild failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
