import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { JobListQuery, JobSummary, ReadModels } from '@tsbit/read-models';
import { notFound } from '@tsbit/service-kit';
import type { JobIntakeContext } from '../../context';
import { actorOf, metadataOf } from '../../http/access';
import { listRoutes, nextLink, PAGE_SIZE, type ListQuery } from '../../http/collection';
import { Count, JobPage, NameParams, PageParams, problems } from '../../http/schemas';
import { cancelMatching } from '../../jobs/commands';
import { listJobs } from '../../jobs/list';
import { JobListQuery as JobListQuerySchema } from '../job/schemas';

/** Jobs read per query while grouping package instances: the read model's largest page. */
const SCAN_PAGE = 1000;
/** pyBit's clients read every job of a version in one answer; a larger version pages on. */
const VERSION_JOBS_DEFAULT_LIMIT = 1000;
const tag = 'packages';
const tags = [tag];
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
type PackageInstance = Static<typeof PackageInstance>;
const VersionParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }), version: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
const Active = Type.Object({ package: Type.String(), active: Type.Boolean({ description: 'has unfinished jobs' }) });
const { status, unfinished, order, cursor } = JobListQuerySchema.properties;
const VersionJobsQuery = Type.Object(
  { status, unfinished, order, cursor, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: `page size, ${VERSION_JOBS_DEFAULT_LIMIT} unless told` })) },
  { additionalProperties: false },
);

/** The fields an instance shares with its jobs: they name it, and a list filtered by them reads only those jobs. */
const JOB_FIELDS = ['package', 'version', 'suite', 'arch', 'format', 'dist', 'env'] as const;
const instanceKey = (instance: Pick<PackageInstance, (typeof JOB_FIELDS)[number]>): string[] => JOB_FIELDS.map((field) => instance[field]);
const jobFiltersOf = (query: ListQuery): JobListQuery =>
  Object.fromEntries(JOB_FIELDS.flatMap((field) => (typeof query[field] === 'string' ? [[field, query[field]]] : [])));

/**
 * pyBit's package instances (package × version × suite × arch × format × dist × env), grouped from
 * every job that passes `query`: the read model has no table of them, so this reads the jobs a
 * page at a time, to the end.
 */
async function packageInstances(readModels: ReadModels, query: JobListQuery) {
  const instances = new Map<string, PackageInstance>();
  const add = (job: JobSummary) => {
    const key = instanceKey(job).join('\u0000');
    const known = instances.get(key);
    if (known) known.jobs.push(job.id);
    else instances.set(key, { package: job.package, version: job.version, suite: job.suite, arch: job.arch, format: job.format, dist: job.dist, env: job.env, master: job.buildArchIndep, jobs: [job.id] });
  };
  let cursor: string | undefined;
  do {
    const page = await readModels.jobs.list({ ...query, order: 'newest', limit: SCAN_PAGE, ...(cursor ? { cursor } : {}) });
    page.items.forEach(add);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
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

    listRoutes(app, {
      resource: 'package',
      tag,
      summary: 'Every package version that has jobs; filter, sort, page with a cursor (Link: rel="next")',
      item: PackageVersion,
      key: (entry: { name: string; version: string }) => [entry.name, entry.version],
      items: packages,
    });
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
      { config, schema: { tags, summary: 'The jobs of a package version, newest first; page with the cursor (Link: rel="next")', params: VersionParams, querystring: VersionJobsQuery, response: { 200: JobPage, ...problems(400, 401, 403, 404) } } },
      async (request, reply) => {
        const version = { package: request.params.name, version: request.params.version };
        const page = await listJobs(context.readModels, { ...request.query, ...version, limit: request.query.limit ?? VERSION_JOBS_DEFAULT_LIMIT });
        // An empty page may be a filter's answer; only a version without any job is absent.
        if (page.items.length === 0 && (await context.readModels.jobs.list({ ...version, limit: 1 })).items.length === 0) {
          throw notFound(`no package "${request.params.name}" version ${request.params.version}`);
        }
        if (page.nextCursor) void reply.header('link', nextLink(request, page.nextCursor));
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
    listRoutes(app, {
      resource: 'packageinstance',
      tag,
      summary: 'Package instances (package × version × suite × arch × format × dist × env) of every job; filter, sort, page with a cursor (Link: rel="next")',
      item: PackageInstance,
      key: instanceKey,
      items: (query) => packageInstances(context.readModels, jobFiltersOf(query)),
    });
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
