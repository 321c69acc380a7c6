import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Actor } from '@tsbit/domain';
import type { EventLog } from '@tsbit/event-log';
import type { ReadModels } from '@tsbit/read-models';
import { authenticate, authorize, createHttpServer, type Action, type Principal } from '@tsbit/service-kit';
import { createCatalogCache } from './catalog-cache';
import { builderRoutes } from './routes/builders';
import { catalogRoutes } from './routes/catalog';
import { homeRoutes } from './routes/home';
import { hookRoutes, type RepositoryHook } from './routes/hooks';
import { jobRoutes } from './routes/jobs';
import { packageRoutes } from './routes/packages';
import { tokenRoutes } from './routes/tokens';
import type { SubmissionDeps } from './submission';

export interface JobIntakeDeps {
  log: EventLog;
  readModels: ReadModels;
  logger: Logger;
  clock?: () => Date;
  readNeedsToken?: boolean;
  hooks?: RepositoryHook[];
  ready?: () => Promise<boolean>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** What every route module gets: the farm's state and the caller's rights. */
export interface RouteContext extends SubmissionDeps {
  /** The actor a write is recorded under; refuses callers whose role may not do `action`. */
  writer(request: FastifyRequest, action: Action): Actor;
  hooks: RepositoryHook[];
}

/**
 * The public REST API: pyBit's resources and routes beside a JSON API, described by OpenAPI
 * (generated from the route schemas) with Swagger UI at /docs.
 */
export async function createJobIntake(deps: JobIntakeDeps): Promise<FastifyInstance> {
  const app = createHttpServer({ logger: deps.logger, ready: deps.ready ?? (() => true) });
  await app.register(formbody);
  await app.register(swagger, {
    openapi: {
      info: { title: 'tsbit', description: 'A distributed, event-sourced build farm for Debian and RPM packages.', version: '0.1.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, basic: { type: 'http', scheme: 'basic' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request, reply) => {
    // pyBit answered every origin; browsers' pages on other hosts read the farm's state.
    void reply.header('access-control-allow-origin', '*');
    void reply.header('access-control-allow-headers', 'authorization, content-type');
    void reply.header('access-control-allow-methods', 'GET, POST, PUT, DELETE, OPTIONS');
    request.principal = await authenticate(request.headers.authorization, (tokenId) => deps.readModels.tokens.get(tokenId));
    if (request.method === 'GET' && !request.url.startsWith('/docs') && !['/healthz', '/readyz', '/metrics'].includes(request.url)) {
      authorize(request.principal, 'read', deps.readNeedsToken ?? false);
    }
  });
  app.options('/*', { schema: { hide: true } }, async (_request, reply) => reply.status(204).send());

  const context: RouteContext = {
    log: deps.log,
    readModels: deps.readModels,
    catalog: createCatalogCache(deps.log),
    clock: deps.clock ?? (() => new Date()),
    hooks: deps.hooks ?? [],
    writer(request, action) {
      const principal = authorize(request.principal, action) as Principal;
      return { kind: 'user', name: principal.name };
    },
  };

  await app.register(jobRoutes(context));
  await app.register(catalogRoutes(context));
  await app.register(builderRoutes(context));
  await app.register(packageRoutes(context));
  await app.register(tokenRoutes(context));
  await app.register(hookRoutes(context));
  await app.register(homeRoutes(context));
  return app;
}
