import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { JobListQuery, JobSummary, ReadModels } from '@tsbit/read-models';
import { notFound } from '@tsbit/service-kit';
import type { JobIntakeContext } from '../../context';
import { actorOf, metadataOf } from '../../http/access';
import { PAGE_SIZE } from '../../http/collection';
import { Count, JobPage, NameParams, PageParams, problems } from '../../http/schemas';
import { cancelMatching } from '../../jobs/commands';

/** Package instances are grouped from the newest jobs, this many at most (the read model has no such table). */
const MAX_INSTANCE_SCAN_JOBS = 20_000;
const SCAN_PAGE = 1000;
const tags = ['packages'];
const config = { access: 'read' as const };

const PackageVersion = Type.Object({
  name: Type.String(),
  version: Type.String(),
  jobs: Type.Integer({ description: 'jobs of this version' }),
  unfinished: Type.Integer({ description: 'of which unfinished' }),
});
const PackageInstance = Type.Object({
  package: Type.String(),
  version: Type.String(),
  suite: Type.String(),
  arch: Type.String(),
  format: Type.String(),
  dist: Type.String(),
  env: Type.String(),
  master: Type.Boolean({ description: "built on the suite's master architecture (also builds Architecture: all)" }),
  jobs: Type.Array(Type.Integer(), { description: 'job ids, newest first' }),
});
const VersionParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }), version: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
const Active = Type.Object({ package: Type.String(), active: Type.Boolean({ description: 'has unfinished jobs' }) });

/** pyBit's package instances (package × version × suite × arch × format × dist × env), from the jobs. */
async function packageInstances(readModels: ReadModels, query: JobListQuery) {
  const instances = new Map<string, { package: string; version: string; suite: string; arch: string; format: string; dist: string; env: string; master: boolean; jobs: number[] }>();
  const add = (job: JobSummary) => {
    const key = [job.package, job.version, job.suite, job.arch, job.format, job.dist, job.env].join('\u0000');
    const known = instances.get(key);
    if (known) known.jobs.push(job.id);
    else instances.set(key, { package: job.package, version: job.version, suite: job.suite, arch: job.arch, format: job.format, dist: job.dist, env: job.env, master: job.buildArchIndep, jobs: [job.id] });
  };
  let cursor: string | undefined;
  let scanned = 0;
  do {
    const page = await readModels.jobs.list({ ...query, limit: SCAN_PAGE, ...(cursor ? { cursor } : {}) });
    page.items.forEach(add);
    scanned += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && scanned < MAX_INSTANCE_SCAN_JOBS);
  return [...instances.values()];
}

/** pyBit's `package` and `packageinstance` resources, derived from the jobs in the read model. */
export function packageRoutes(context: JobIntakeContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const packages = () => context.readModels.jobs.packages();
    const versionsOf = async (name: string) => {
      const versions = (await packages()).filter((entry) => entry.name === name);
      if (versions.length === 0) throw notFound(`no package "${name}"`);
      return versions;
    };

    for (const url of ['/package', '/package/']) {
      app.get(url, { config, schema: { tags, summary: 'Every package version that has jobs', hide: url.endsWith('/'), response: { 200: Type.Array(PackageVersion), ...problems(401, 403) } } }, packages);
    }
    app.get('/package/page/:n', { config, schema: { tags, summary: `A page of ${PAGE_SIZE} package versions`, params: PageParams, response: { 200: Type.Array(PackageVersion), ...problems(400, 401, 403) } } }, async (request) =>
      (await packages()).slice((request.params.n - 1) * PAGE_SIZE, request.params.n * PAGE_SIZE),
    );
    app.get('/package/count', { config, schema: { tags, summary: 'How many package versions, and pages', response: { 200: Count, ...problems(401, 403) } } }, async () => {
      const total = (await packages()).length;
      return { total, pages: Math.ceil(total / PAGE_SIZE), pageSize: PAGE_SIZE };
    });
    app.get('/package/names', { config, schema: { tags, summary: 'Package names', response: { 200: Type.Array(Type.String()), ...problems(401, 403) } } }, async () => [
      ...new Set((await packages()).map((entry) => entry.name)),
    ]);
    for (const url of ['/package/:name', '/package/details/:name']) {
      app.get(url, { config, schema: { tags, summary: 'The versions of a package', params: NameParams, response: { 200: Type.Array(PackageVersion), ...problems(400, 401, 403, 404) } } }, (request) =>
        versionsOf(request.params.name),
      );
    }
    app.get(
      '/package/details/:name/:version',
      { config, schema: { tags, summary: 'The jobs of a package version', params: VersionParams, response: { 200: JobPage, ...problems(400, 401, 403, 404) } } },
      async (request) => {
        const page = await context.readModels.jobs.list({ package: request.params.name, version: request.params.version, limit: 1000 });
        if (page.items.length === 0) throw notFound(`no package "${request.params.name}" version ${request.params.version}`);
        return page;
      },
    );
    app.get('/package/:name/active', { config, schema: { tags, summary: 'Whether a package has unfinished jobs', params: NameParams, response: { 200: Active, ...problems(400, 401, 403) } } }, async (request) => {
      const { items } = await context.readModels.jobs.list({ package: request.params.name, unfinished: true, limit: 1 });
      return { package: request.params.name, active: items.length > 0 };
    });
    const cancel = async (request: FastifyRequest, name: string) => {
      const by = actorOf(request);
      return { package: name, cancelled: await cancelMatching(context, { package: name }, { by, metadata: metadataOf(request, by), why: `every job of ${name} cancelled by ${by.name}` }) };
    };
    const cancelSchema = (summary: string) => ({
      config: { access: 'submit' as const },
      schema: { tags, summary, params: NameParams, response: { 202: Type.Object({ package: Type.String(), cancelled: Type.Integer() }), ...problems(400, 401, 403) } },
    });
    app.get('/package/:name/cancel', cancelSchema("Cancel every unfinished job of a package (pyBit's route)"), async (request, reply) => reply.status(202).send(await cancel(request, request.params.name)));
    app.post('/package/:name/cancel', cancelSchema('Cancel every unfinished job of a package'), async (request, reply) => reply.status(202).send(await cancel(request, request.params.name)));

    const instances = () => packageInstances(context.readModels, {});
    for (const url of ['/packageinstance', '/packageinstance/']) {
      app.get(
        url,
        { config, schema: { tags, summary: `Package instances: package × version × suite × arch × format × dist × env, from the newest ${MAX_INSTANCE_SCAN_JOBS} jobs`, hide: url.endsWith('/'), response: { 200: Type.Array(PackageInstance), ...problems(401, 403) } } },
        instances,
      );
    }
    app.get('/packageinstance/page/:n', { config, schema: { tags, summary: `A page of ${PAGE_SIZE} package instances`, params: PageParams, response: { 200: Type.Array(PackageInstance), ...problems(400, 401, 403) } } }, async (request) =>
      (await instances()).slice((request.params.n - 1) * PAGE_SIZE, request.params.n * PAGE_SIZE),
    );
    app.get('/packageinstance/count', { config, schema: { tags, summary: 'How many package instances, and pages', response: { 200: Count, ...problems(401, 403) } } }, async () => {
      const total = (await instances()).length;
      return { total, pages: Math.ceil(total / PAGE_SIZE), pageSize: PAGE_SIZE };
    });
    app.get('/packageinstance/details/:name', { config, schema: { tags, summary: 'The instances of a package', params: NameParams, response: { 200: Type.Array(PackageInstance), ...problems(400, 401, 403, 404) } } }, async (request) => {
      const found = await packageInstances(context.readModels, { package: request.params.name });
      if (found.length === 0) throw notFound(`no package "${request.params.name}"`);
      return found;
    });
  };
}
