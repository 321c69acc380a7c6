import './instrumentation';
import { readFileSync } from 'node:fs';
import { Pool } from 'pg';
import { createEventLog } from '@tsbit/event-log';
import { createReadModels, migrateReadModels } from '@tsbit/read-models';
import { createLogger, readConfig, runService } from '@tsbit/service-kit';
import { createJobIntake } from './app';
import { configSchema } from './config';
import type { RepositoryHook } from './routes/hooks';

const config = readConfig(configSchema);
const logger = createLogger('job-intake', config.TSBIT_LOG_LEVEL);

runService('job-intake', logger, async () => {
  const pool = new Pool({ connectionString: config.TSBIT_DATABASE_URL });
  const log = await createEventLog({ kind: config.TSBIT_EVENT_LOG, databaseUrl: config.TSBIT_DATABASE_URL, schema: config.TSBIT_PG_SCHEMA, eventStoreDbUrl: config.TSBIT_EVENTSTOREDB_URL });
  await migrateReadModels(pool, config.TSBIT_PG_SCHEMA);
  const hooks = config.TSBIT_HOOKS_FILE ? (JSON.parse(readFileSync(config.TSBIT_HOOKS_FILE, 'utf8')) as RepositoryHook[]) : [];
  const app = await createJobIntake({
    log,
    readModels: createReadModels(pool, config.TSBIT_PG_SCHEMA),
    logger,
    readNeedsToken: config.TSBIT_READ_NEEDS_TOKEN,
    hooks,
    ready: async () => (await pool.query('SELECT 1')).rowCount === 1,
  });
  await app.listen({ port: config.TSBIT_PORT, host: '0.0.0.0' });
  return {
    async close() {
      await app.close();
      await log.close();
      await pool.end();
    },
  };
});
