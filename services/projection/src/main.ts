import './instrumentation';
import { Pool } from 'pg';
import { createEventLog } from '@tsbit/event-log';
import { Broker } from '@tsbit/messaging';
import { createLogger, readConfig, runService } from '@tsbit/service-kit';
import { createProjection } from './app';
import { configSchema } from './config';

const config = readConfig(configSchema);
const logger = createLogger('projection', config.TSBIT_LOG_LEVEL);

runService('projection', logger, async () => {
  const pool = new Pool({ connectionString: config.TSBIT_DATABASE_URL });
  const log = await createEventLog({ kind: config.TSBIT_EVENT_LOG, databaseUrl: config.TSBIT_DATABASE_URL, schema: config.TSBIT_PG_SCHEMA, eventStoreDbUrl: config.TSBIT_EVENTSTOREDB_URL });
  const broker = config.TSBIT_RELAY ? await Broker.create({ url: config.TSBIT_AMQP_URL, prefix: config.TSBIT_AMQP_PREFIX, name: 'projection', logger }) : undefined;
  const projection = createProjection({ log, pool, schema: config.TSBIT_PG_SCHEMA, logger, ...(broker ? { broker } : {}) });
  await projection.start();
  await projection.app.listen({ port: config.TSBIT_PORT, host: '0.0.0.0' });
  return {
    async close() {
      await projection.close();
      await broker?.close();
      await log.close();
      await pool.end();
    },
  };
});
