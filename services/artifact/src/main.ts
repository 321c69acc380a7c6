import './instrumentation';
import { Pool } from 'pg';
import { createEventLog } from '@tsbit/event-log';
import { createReadModels, migrateReadModels } from '@tsbit/read-models';
import { createLogger, readConfig, runService } from '@tsbit/service-kit';
import { createArtifactService } from './app';
import { configSchema } from './config';

const config = readConfig(configSchema);
const logger = createLogger('artifact', config.TSBIT_LOG_LEVEL);

runService('artifact', logger, async () => {
  const pool = new Pool({ connectionString: config.TSBIT_DATABASE_URL });
  const log = await createEventLog({ kind: config.TSBIT_EVENT_LOG, databaseUrl: config.TSBIT_DATABASE_URL, schema: config.TSBIT_PG_SCHEMA, eventStoreDbUrl: config.TSBIT_EVENTSTOREDB_URL });
  await migrateReadModels(pool, config.TSBIT_PG_SCHEMA);
  const readModels = createReadModels(pool, config.TSBIT_PG_SCHEMA);
  const app = createArtifactService({
    log,
    storeDir: config.TSBIT_ARTIFACT_DIR,
    tokens: (tokenId) => readModels.tokens.get(tokenId),
    logger,
    maxUploadBytes: config.TSBIT_MAX_UPLOAD_BYTES,
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
