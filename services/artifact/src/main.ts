import './instrumentation';
import { Pool } from 'pg';
import { createEventLog } from '@tsbit/event-log';
import { Broker } from '@tsbit/messaging';
import { createReadModels, migrateReadModels } from '@tsbit/read-models';
import { createLogger, readConfig, runService } from '@tsbit/service-kit';
import { createArtifactService } from './app';
import { configSchema, publishingSettings } from './config';
import { createRepositories } from './publishing';
import { ContentStore } from './store';

const config = readConfig(configSchema);
const logger = createLogger('artifact', config.TSBIT_LOG_LEVEL);

runService('artifact', logger, async () => {
  const pool = new Pool({ connectionString: config.TSBIT_DATABASE_URL });
  const log = await createEventLog({ kind: config.TSBIT_EVENT_LOG, databaseUrl: config.TSBIT_DATABASE_URL, schema: config.TSBIT_PG_SCHEMA, eventStoreDbUrl: config.TSBIT_EVENTSTOREDB_URL });
  await migrateReadModels(pool, config.TSBIT_PG_SCHEMA);
  const readModels = createReadModels(pool, config.TSBIT_PG_SCHEMA);
  const broker = await Broker.create({ url: config.TSBIT_AMQP_URL, prefix: config.TSBIT_AMQP_PREFIX, name: 'artifact', logger });
  const repositories = await createRepositories({ ...publishingSettings(config), log, store: new ContentStore(config.TSBIT_ARTIFACT_DIR), logger });
  const app = createArtifactService({
    log,
    storeDir: config.TSBIT_ARTIFACT_DIR,
    tokens: (tokenId) => readModels.tokens.get(tokenId),
    logger,
    maxUploadBytes: config.TSBIT_MAX_UPLOAD_BYTES,
    logLimitBytes: config.TSBIT_LOG_LIMIT_BYTES,
    ready: async () => broker.isConnected() && (await pool.query('SELECT 1')).rowCount === 1,
    repositories: repositories.routes,
  });
  await app.listen({ port: config.TSBIT_PORT, host: '0.0.0.0' });
  const publishing = await repositories.consume(broker);
  return {
    async close() {
      // Publishes in hand finish (their messages are acked) before anything closes under them.
      await publishing.cancel();
      await app.close();
      await broker.close();
      await repositories.close();
      await log.close();
      await pool.end();
    },
  };
});
