import './instrumentation';
import { mkdir } from 'node:fs/promises';
import { Broker } from '@tsbit/messaging';
import { createLogger, readConfig, runService } from '@tsbit/service-kit';
import { createApiClient } from './api-client';
import { createBuilder } from './app';
import { configSchema, detectDefaults, resolveBuilderSettings } from './config';

const config = readConfig(configSchema);
const logger = createLogger('builder', config.TSBIT_LOG_LEVEL);

runService('builder', logger, async () => {
  const settings = { ...resolveBuilderSettings(config, detectDefaults()), prefix: config.TSBIT_AMQP_PREFIX };
  await mkdir(settings.workDir, { recursive: true });
  if (!config.TSBIT_TOKEN) logger.warn('TSBIT_TOKEN is empty: the API will refuse this builder\'s uploads');
  const broker = await Broker.create({ url: config.TSBIT_AMQP_URL, prefix: config.TSBIT_AMQP_PREFIX, name: `builder-${settings.name}`, logger });
  const api = createApiClient({ baseUrl: config.TSBIT_API_URL, token: config.TSBIT_TOKEN, builderName: settings.name });
  const builder = createBuilder({ broker, api, logger, config: settings });
  await builder.start();
  await builder.app.listen({ port: config.TSBIT_PORT, host: '0.0.0.0' });
  return {
    async close() {
      await builder.close();
      await broker.close();
    },
  };
});
