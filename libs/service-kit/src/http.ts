import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
// Brings the `hide` route-schema option into the types; the plugin itself is registered by the API service.
import type {} from '@fastify/swagger';
import type { Logger } from 'pino';
import { toProblem } from './problems';
import { histogram, metricsRegistry } from './metrics';

const requestDuration = histogram(
  'tsbit_http_request_duration_seconds',
  'HTTP requests served, by route and status',
  ['method', 'route', 'status'],
  [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
);

export interface HttpServerOptions {
  logger: Logger;
  /** True when the service's dependencies answer; /readyz turns it into 200 or 503. */
  ready: () => Promise<boolean> | boolean;
  bodyLimit?: number;
}

const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * A Fastify instance with what every service serves: /healthz (the process is alive), /readyz
 * (its dependencies answer), /metrics (Prometheus), and RFC 9457 problem+json for every error.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT_BYTES,
    ajv: { customOptions: { allErrors: false, coerceTypes: 'array', removeAdditional: false } },
  });

  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error, request.url);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status: problem.status, detail: problem.detail }, 'request refused');
    void reply.status(problem.status).type('application/problem+json').send(problem);
  });
  app.setNotFoundHandler((request, reply) => {
    const problem = toProblem({ statusCode: 404, message: `no route ${request.method} ${request.url}` }, request.url);
    void reply.status(404).type('application/problem+json').send(problem);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    requestDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const ready = await Promise.resolve(options.ready()).catch(() => false);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready' });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    return reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  });
  return app;
}
