import './instrumentation';
import { Pool } from 'pg';
import { createEventLog } from '@tsbit/event-log';
import { createReadModels, migrateReadModels } from '@tsbit/read-models';
import { createLogger, readConfig, runService } from '@tsbit/service-kit';
import { createJobIntake } from './app';
import { configSchema } from './config';
import { loadHooks } from './routes/hooks/config';

const config = readConfig(configSchema);
const logger = createLogger('job-intake', config.TSBIT_LOG_LEVEL);

runService('job-intake', logger, async () => {
  const hooks = loadHooks(config.TSBIT_HOOKS_FILE);
  const pool = new Pool({ connectionString: config.TSBIT_DATABASE_URL });
  const log = await createEventLog({ kind: config.TSBIT_EVENT_LOG, databaseUrl: config.TSBIT_DATABASE_URL, schema: config.TSBIT_PG_SCHEMA, eventStoreDbUrl: config.TSBIT_EVENTSTOREDB_URL });
  await migrateReadModels(pool, config.TSBIT_PG_SCHEMA);
  const app = await createJobIntake({
    log,
    readModels: createReadModels(pool, config.TSBIT_PG_SCHEMA),
    pool,
    logger,
    clock: () => new Date(),
    readNeedsToken: config.TSBIT_READ_NEEDS_TOKEN,
    hooks,
  });
  await app.listen({ port: config.TSBIT_PORT, host: '0.0.0.0' });
  logger.info({ port: config.TSBIT_PORT, hooks: hooks.length }, 'job-intake listening');
  return {
    async close() {
      await app.close();
      await log.close();
      await pool.end();
    },
  };
});
