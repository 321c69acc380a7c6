import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { JobIntakeContext } from '../../context';
import { renderHomePage } from './page';

const LATEST_JOBS = 50;

/** `GET /`: a small server-rendered page for people. */
export function homeRoutes(context: JobIntakeContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/', { config: { access: 'read' }, schema: { hide: true } }, async (_request, reply) => {
      const [{ items }, catalog] = await Promise.all([context.readModels.jobs.list({ limit: LATEST_JOBS }), context.catalog.get()]);
      return reply.type('text/html; charset=utf-8').send(renderHomePage(items, catalog));
    });
  };
}
