import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { catalogDecider, catalogStreamId } from '@tsbit/domain';
import { followStream, type EventLog } from '@tsbit/event-log';
import type { ReadModels } from '@tsbit/read-models';
import { createHttpServer } from '@tsbit/service-kit';
import type { JobIntakeContext } from './context';
import { installAccess } from './http/access';
import { installCors } from './http/cors';
import { tokenLookup } from './http/token-lookup';
import { sharedSchemas } from './http/schemas';
import { blacklistRoutes } from './routes/blacklist';
import { builderRoutes } from './routes/buildd';
import { catalogRoutes } from './routes/catalog';
import { homeRoutes } from './routes/home';
import { hookRoutes } from './routes/hooks';
import type { RepositoryHook } from './routes/hooks/config';
import { jobRoutes } from './routes/job';
import { packageRoutes } from './routes/packages';
import { tokenRoutes } from './routes/tokens';

export interface JobIntakeDeps {
  log: EventLog;
  readModels: ReadModels;
  /** The read models' pool: /readyz asks it. */
  pool?: Pool;
  logger: Logger;
  clock: () => Date;
  /** Reading is open, as in pyBit, unless the farm says otherwise. */
  readNeedsToken: boolean;
  /** Repositories whose push webhooks build (TSBIT_HOOKS_FILE). */
  hooks: RepositoryHook[];
}

const TAGS = [
  { name: 'jobs', description: 'Submit, follow, cancel, retry and delete builds' },
  { name: 'catalogue', description: 'What the farm builds: architectures, distributions, formats, build environments, suites' },
  { name: 'blacklist', description: 'Packages and sources that must not be built' },
  { name: 'packages', description: "pyBit's package views, derived from the jobs" },
  { name: 'builders', description: 'The build machines' },
  { name: 'access', description: 'API tokens' },
  { name: 'hooks', description: 'Commit hooks and forge webhooks' },
];

/**
 * The public REST API: pyBit's resources, routes and form fields beside a JSON API, described by
 * an OpenAPI document generated from the route schemas (/openapi.json, Swagger UI at /docs). It
 * decides with the domain's deciders and appends to the log; it reads the read models and the
 * catalogue. The caller owns the log, the read models and the pool, and closes them after the app.
 */
export async function createJobIntake(deps: JobIntakeDeps): Promise<FastifyInstance> {
  const app = createHttpServer({
    logger: deps.logger,
    ready: async () => {
      await Promise.all([deps.pool?.query('SELECT 1'), deps.log.headPosition()]);
      return true;
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  for (const schema of sharedSchemas) app.addSchema(schema);
  installCors(app);
  installAccess(app, { lookup: tokenLookup(deps.readModels, deps.log), readNeedsToken: deps.readNeedsToken });
  await app.register(formbody);
  await app.register(swagger, {
    // Shared schemas appear under components by their own names.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `def-${index}`) },
    openapi: {
      openapi: '3.1.0',
      info: { title: 'tsbit', description: 'A distributed, event-sourced build farm for Debian and RPM packages; the successor of pyBit.', version: '0.1.0' },
      tags: TAGS,
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'tsbit_<id>_<secret>' },
          basic: { type: 'http', scheme: 'basic', description: "any user name (pyBit's clients send the token's name), the token as password" },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { config: { access: 'open' }, schema: { hide: true } }, async () => app.swagger());

  const context: JobIntakeContext = { log: deps.log, readModels: deps.readModels, catalog: followStream(deps.log, catalogStreamId, catalogDecider), clock: deps.clock, hooks: deps.hooks };
  await app.register(jobRoutes(context));
  await app.register(hookRoutes(context));
  await app.register(catalogRoutes(context));
  await app.register(blacklistRoutes(context));
  await app.register(packageRoutes(context));
  await app.register(builderRoutes(context));
  await app.register(tokenRoutes(context));
  await app.register(homeRoutes(context));
  return app;
}
