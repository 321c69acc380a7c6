import './instrumentation';
import { createEventLog } from '@tsbit/event-log';
import { Broker } from '@tsbit/messaging';
import { createLogger, readConfig, runService } from '@tsbit/service-kit';
import { createScheduler } from './app';
import { configSchema } from './config';
import { createKubernetesScaler } from './scaling/kubernetes-scaler';

const config = readConfig(configSchema);
const logger = createLogger('scheduler', config.TSBIT_LOG_LEVEL);

runService('scheduler', logger, async () => {
  const log = await createEventLog({ kind: config.TSBIT_EVENT_LOG, databaseUrl: config.TSBIT_DATABASE_URL, schema: config.TSBIT_PG_SCHEMA, eventStoreDbUrl: config.TSBIT_EVENTSTOREDB_URL });
  const broker = await Broker.create({ url: config.TSBIT_AMQP_URL, prefix: config.TSBIT_AMQP_PREFIX, name: 'scheduler', logger });
  const scaler = config.TSBIT_SCALE_BUILDER_POOLS
    ? await createKubernetesScaler({ namespace: config.TSBIT_K8S_NAMESPACE, slotsPerReplica: config.TSBIT_POOL_SLOTS_PER_BUILDER, logger })
    : undefined;
  const scheduler = createScheduler({
    log,
    broker,
    logger,
    heartbeatMs: config.TSBIT_HEARTBEAT_MS,
    prefix: config.TSBIT_AMQP_PREFIX,
    dependencyWaitBackoffMs: config.TSBIT_DEPENDENCY_WAIT_BACKOFF_MS,
    ...(scaler ? { scaler } : {}),
  });
  await scheduler.start();
  await scheduler.app.listen({ port: config.TSBIT_PORT, host: '0.0.0.0' });
  return {
    async close() {
      await scheduler.close();
      await broker.close();
      await log.close();
    },
  };
});
