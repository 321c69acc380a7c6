import type { FastifyInstance } from 'fastify';
import { jobDecider, jobStreamId, reason } from '@tsbit/domain';
import { handleCommand } from '@tsbit/event-log';
import { notFound } from '@tsbit/service-kit';
import type { RouteContext } from '../app';
import { nameParams } from './schemas';

/** pyBit's package and packageinstance resources, derived from the jobs. */
export function packageRoutes(context: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const tags = ['packages'];
    for (const url of ['/package', '/package/']) app.get(url, { schema: { tags, summary: 'Every package and version with jobs' } }, () => context.readModels.jobs.packages());
    app.get('/package/names', { schema: { tags, summary: 'Package names' } }, async () => [...new Set((await context.readModels.jobs.packages()).map((pkg) => pkg.name))]);
    app.get('/package/details/:name', { schema: { tags, summary: 'The versions of a package', params: nameParams } }, async (request) => {
      const { name } = request.params as { name: string };
      const versions = (await context.readModels.jobs.packages()).filter((pkg) => pkg.name === name);
      if (versions.length === 0) throw notFound(`no package "${name}"`);
      return versions;
    });
    app.get('/package/details/:name/:version', { schema: { tags, summary: 'The jobs of a package version' } }, async (request) => {
      const { name, version } = request.params as { name: string; version: string };
      return context.readModels.jobs.list({ package: name, version, limit: 1000 });
    });
    app.get('/package/:name/active', { schema: { tags, summary: 'Whether a package has unfinished jobs', params: nameParams } }, async (request) => {
      const { name } = request.params as { name: string };
      const { total } = await context.readModels.jobs.list({ package: name, unfinished: true, limit: 1 });
      return { package: name, active: total > 0 };
    });
    const cancelPackage = async (request: { params: unknown }, reply: { status(code: number): { send(body: unknown): unknown } }) => {
      const { name } = request.params as { name: string };
      const by = context.writer(request as never, 'submit');
      const { items } = await context.readModels.jobs.list({ package: name, unfinished: true, limit: 1000 });
      for (const job of items) {
        await handleCommand({
          log: context.log,
          stream: jobStreamId(job.id),
          decider: jobDecider,
          command: { type: 'CancelJob', at: context.clock().toISOString(), by, reason: reason('cancelled_by_user', `package ${name} cancelled by ${by.name}`) },
          metadata: { causedBy: by },
        }).catch(() => undefined);
      }
      return reply.status(202).send({ package: name, cancelled: items.length });
    };
    app.get('/package/:name/cancel', { schema: { tags, summary: 'Cancel every unfinished job of a package', params: nameParams } }, cancelPackage as never);
    app.post('/package/:name/cancel', { schema: { tags, summary: 'Cancel every unfinished job of a package', params: nameParams } }, cancelPackage as never);

    for (const url of ['/packageinstance', '/packageinstance/']) {
      app.get(url, { schema: { tags, summary: 'Package instances: a package version for a suite, arch, format, dist and env' } }, async () => {
        const { items } = await context.readModels.jobs.list({ limit: 1000 });
        const instances = new Map<string, object>();
        for (const job of items) {
          const key = [job.package, job.version, job.suite, job.arch, job.format, job.dist, job.env].join('/');
          if (!instances.has(key)) instances.set(key, { package: job.package, version: job.version, suite: job.suite, arch: job.arch, format: job.format, dist: job.dist, env: job.env, master: job.buildArchIndep });
        }
        return [...instances.values()];
      });
    }
  };
}
