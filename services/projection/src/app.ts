import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { EventLog } from '@tsbit/event-log';
import { PostgresRelayCheckpoints, startRelay, withLeaderLock, type Broker } from '@tsbit/messaging';
import { migrateReadModels } from '@tsbit/read-models';
import { createHttpServer } from '@tsbit/service-kit';
import { startProjector } from './projector';

export interface ProjectionDeps {
  log: EventLog;
  pool: Pool;
  schema: string;
  logger: Logger;
  /** The relay publishes the log to RabbitMQ; without a broker only the read models are kept. */
  broker?: Broker;
}

/** The projection service: read models from the log, and the log relay to RabbitMQ. */
export function createProjection(deps: ProjectionDeps): { app: FastifyInstance; start(): Promise<void>; close(): Promise<void> } {
  let projector: Awaited<ReturnType<typeof startProjector>> | undefined;
  let relay: Awaited<ReturnType<typeof withLeaderLock>> | undefined;

  const app = createHttpServer({
    logger: deps.logger,
    ready: async () => {
      if (!projector) return false;
      projector.position();
      await deps.pool.query('SELECT 1');
      return deps.broker ? deps.broker.isConnected() : true;
    },
  });

  return {
    app,
    async start() {
      await migrateReadModels(deps.pool, deps.schema);
      projector = await startProjector({ log: deps.log, pool: deps.pool, schema: deps.schema, logger: deps.logger });
      const broker = deps.broker;
      if (broker) {
        const checkpoints = await PostgresRelayCheckpoints.create({ pool: deps.pool, schema: deps.schema, name: 'events' });
        relay = await withLeaderLock(deps.pool, `${deps.schema}.relay`, () => startRelay({ log: deps.log, broker, checkpoints, logger: deps.logger }));
      }
    },
    async close() {
      await relay?.stop();
      await projector?.stop();
      await app.close();
    },
  };
}
