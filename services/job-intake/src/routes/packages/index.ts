import { Type, type FastifyPluginAsyncTypebox, type TSchema } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { INSTANCE_JOB_IDS, type PackageInstanceKey, type PackageInstanceView, type PackageVersionKey, type PackageVersionView } from '@tsbit/read-models';
import { badRequest, notFound } from '@tsbit/service-kit';
import type { JobIntakeContext } from '../../context';
import { actorOf, metadataOf } from '../../http/access';
import { encodeListCursor, MAX_LIST_LIMIT, nextLink, PAGE_SIZE, readListQuery } from '../../http/collection';
import { Count, JobPage, NameParams, PageParams, problems } from '../../http/schemas';
import { cancelMatching } from '../../jobs/commands';
import { listJobs } from '../../jobs/list';
import { JobListQuery as JobListQuerySchema } from '../job/schemas';

/** pyBit's clients read every job of a version in one answer; a larger version pages on. */
const VERSION_JOBS_DEFAULT_LIMIT = 1000;
/** As every list's filters: names are at most 128 characters. */
const MAX_FILTER_LENGTH = 256;
/** A cursor carries a key of up to seven names. */
const MAX_CURSOR_LENGTH = 4096;
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
  master: Type.Boolean({ description: "built on the suite's master architecture (also builds Architecture: all), as its newest job was" }),
  jobs: Type.Array(Type.Integer(), { description: `job ids, newest first: the newest ${INSTANCE_JOB_IDS} only` }),
});
const VersionParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }), version: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
const Active = Type.Object({ package: Type.String(), active: Type.Boolean({ description: 'has unfinished jobs' }) });
const { status, unfinished, order, cursor } = JobListQuerySchema.properties;
const VersionJobsQuery = Type.Object(
  { status, unfinished, order, cursor, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: `page size, ${VERSION_JOBS_DEFAULT_LIMIT} unless told` })) },
  { additionalProperties: false },
);

const exactly = (description: string) => Type.Optional(Type.String({ maxLength: MAX_FILTER_LENGTH, description }));
const count = (description: string) => Type.Optional(Type.Integer({ minimum: 0, description }));
/**
 * `sort`, `limit` and `cursor` of a list that PostgreSQL groups: it pages in the order of the
 * index it walks, so `sort` names only that order. A string, not an enum, so that another field
 * is refused with a 400 saying which orders there are.
 */
const pagingOf = (keyField: string) => ({
  sort: Type.Optional(Type.String({ maxLength: 64, description: `"${keyField}" (the default: by the key, ascending) or "-${keyField}" (descending); no other order` })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, description: 'page size; every item unless told' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_CURSOR_LENGTH, description: 'from the Link header of the previous page, with the same sort' })),
});
const PackageVersionQuery = Type.Object(
  {
    name: exactly('versions of this package'),
    version: exactly('versions with exactly this version string'),
    jobs: count('versions with exactly this many jobs'),
    unfinished: count('versions with exactly this many unfinished jobs'),
    ...pagingOf('name'),
  },
  { additionalProperties: false },
);
const PackageInstanceQuery = Type.Object(
  {
    package: exactly('instances of this package'),
    version: exactly('instances of exactly this version'),
    suite: exactly('instances of this suite'),
    arch: exactly('instances of this architecture'),
    format: exactly('instances of this format'),
    dist: exactly('instances of this distribution'),
    env: exactly('instances of this environment ("" for none)'),
    master: Type.Optional(Type.Boolean({ description: "instances built on (true) or off (false) the suite's master architecture" })),
    jobs: Type.Optional(Type.Integer({ description: 'the instance that holds this job, even beyond its newest ids' })),
    ...pagingOf('package'),
  },
  { additionalProperties: false },
);
const LIST_HEADERS = {
  'x-total-count': {
    type: 'integer',
    description: 'items that pass the filters, on every page: sent when the answer is whole (one page, no cursor), or when filtered by package or by a job; counting every group of a large farm on each page would cost more than the page',
  },
  link: { type: 'string', description: '`<url>; rel="next"` while there is a next page' },
};
const listSchema = <Q extends TSchema, I extends TSchema>(summary: string, querystring: Q, item: I) => ({
  tags,
  summary,
  description: 'Filter by the fields named below; only the key order; without `limit`, every item.',
  querystring,
  response: { 200: Type.Array(item, { headers: LIST_HEADERS }), ...problems(400, 401, 403) },
});

const VERSION_KEY_LENGTH = 2;
const INSTANCE_KEY_LENGTH = 7;
const versionKeyOf = (entry: PackageVersionView): PackageVersionKey => [entry.name, entry.version];
const instanceKeyOf = (instance: PackageInstanceView): PackageInstanceKey => [instance.package, instance.version, instance.suite, instance.arch, instance.format, instance.dist, instance.env];

interface KeyOrder {
  descending: boolean;
  /** What the cursor is bound to: `''` for the default order, as every other list's cursor. */
  cursorSort: string;
}

/** The one order a grouped list keeps, either way; any other `sort` is a 400 naming it. */
function keyOrderOf(sort: string | undefined, keyField: string): KeyOrder {
  if (sort === undefined || sort === '' || sort === keyField) return { descending: false, cursorSort: '' };
  if (sort === `-${keyField}`) return { descending: true, cursorSort: sort };
  throw badRequest(`sort: this list keeps only its key order, "${keyField}" or "-${keyField}", not "${sort}"`, 'sort');
}

/** The key a cursor remembers; a cursor of another list, or of another order, is a 400 naming it. */
function afterOf(cursor: string | undefined, order: KeyOrder, keyField: string, keyLength: number): string[] | undefined {
  if (cursor === undefined) return undefined;
  const { after } = readListQuery({ sort: order.cursorSort, cursor }, { filterable: [], sortable: [keyField] });
  if (!after || after.length !== keyLength || !after.every((value) => typeof value === 'string')) throw badRequest('cursor: not a cursor this list handed out', 'cursor');
  return after as string[];
}

/**
 * The total, when it is cheap: a whole answer counts itself, and a filter on the index's first
 * column (or on one job) bounds the count to a short range. Unfiltered, counting every group of
 * 100,000 jobs takes longer than the page (see the README); `/count` still tells it.
 */
async function totalOf(page: { items: unknown[]; hasMore: boolean }, after: unknown, narrowed: boolean, countAll: () => Promise<number>): Promise<number | undefined> {
  if (after === undefined && !page.hasMore) return page.items.length;
  return narrowed ? countAll() : undefined;
}

function sendPage<T>(request: FastifyRequest, reply: FastifyReply, page: { items: T[]; hasMore: boolean }, total: number | undefined, order: KeyOrder, key: (item: T) => string[]): T[] {
  if (total !== undefined) void reply.header('x-total-count', String(total));
  const last = page.items[page.items.length - 1];
  if (page.hasMore && last) void reply.header('link', nextLink(request, encodeListCursor(order.cursorSort, key(last))));
  return page.items;
}

const countOf = (total: number) => ({ total, pages: Math.ceil(total / PAGE_SIZE), pageSize: PAGE_SIZE });

/** pyBit's `package` and `packageinstance` resources, grouped from the jobs by the read model's SQL. */
export function packageRoutes(context: JobIntakeContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const { packages } = context.readModels;
    const versionsOf = async (name: string) => {
      const { items } = await packages.versions({ name });
      if (items.length === 0) throw notFound(`no package "${name}"`);
      return items;
    };

    for (const url of ['/package', '/package/']) {
      app.get(
        url,
        { config, schema: { ...listSchema('Every package version that has jobs, by name and version; filter, page with a cursor (Link: rel="next")', PackageVersionQuery, PackageVersion), hide: url.endsWith('/') } },
        async (request, reply) => {
          const { sort, limit, cursor, ...filters } = request.query;
          const order = keyOrderOf(sort, 'name');
          const after = afterOf(cursor, order, 'name', VERSION_KEY_LENGTH) as PackageVersionKey | undefined;
          const page = await packages.versions({ ...filters, descending: order.descending, after, limit });
          const total = await totalOf(page, after, filters.name !== undefined, () => packages.countVersions(filters));
          return sendPage(request, reply, page, total, order, versionKeyOf);
        },
      );
    }
    app.get('/package/page/:n', { config, schema: { tags, summary: `A page of ${PAGE_SIZE} package versions`, params: PageParams, response: { 200: Type.Array(PackageVersion), ...problems(400, 401, 403) } } }, async (request) =>
      (await packages.versions({ limit: PAGE_SIZE, offset: (request.params.n - 1) * PAGE_SIZE })).items,
    );
    app.get('/package/count', { config, schema: { tags, summary: 'How many package versions, and pages', response: { 200: Count, ...problems(401, 403) } } }, async () =>
      countOf(await packages.countVersions({})),
    );
    app.get('/package/names', { config, schema: { tags, summary: 'Package names', response: { 200: Type.Array(Type.String()), ...problems(401, 403) } } }, () => packages.names());
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

    for (const url of ['/packageinstance', '/packageinstance/']) {
      app.get(
        url,
        {
          config,
          schema: {
            ...listSchema('Package instances (package × version × suite × arch × format × dist × env) of every job, in that order; filter, page with a cursor (Link: rel="next")', PackageInstanceQuery, PackageInstance),
            hide: url.endsWith('/'),
          },
        },
        async (request, reply) => {
          const { sort, limit, cursor, jobs: job, ...fields } = request.query;
          const filters = { ...fields, job };
          const order = keyOrderOf(sort, 'package');
          const after = afterOf(cursor, order, 'package', INSTANCE_KEY_LENGTH) as PackageInstanceKey | undefined;
          const page = await packages.instances({ ...filters, descending: order.descending, after, limit });
          const total = await totalOf(page, after, filters.package !== undefined || job !== undefined, () => packages.countInstances(filters));
          return sendPage(request, reply, page, total, order, instanceKeyOf);
        },
      );
    }
    app.get('/packageinstance/page/:n', { config, schema: { tags, summary: `A page of ${PAGE_SIZE} package instances`, params: PageParams, response: { 200: Type.Array(PackageInstance), ...problems(400, 401, 403) } } }, async (request) =>
      (await packages.instances({ limit: PAGE_SIZE, offset: (request.params.n - 1) * PAGE_SIZE })).items,
    );
    app.get('/packageinstance/count', { config, schema: { tags, summary: 'How many package instances, and pages', response: { 200: Count, ...problems(401, 403) } } }, async () =>
      countOf(await packages.countInstances({})),
    );
    app.get('/packageinstance/details/:name', { config, schema: { tags, summary: 'The instances of a package', params: NameParams, response: { 200: Type.Array(PackageInstance), ...problems(400, 401, 403, 404) } } }, async (request) => {
      const { items } = await packages.instances({ package: request.params.name });
      if (items.length === 0) throw notFound(`no package "${request.params.name}"`);
      return items;
    });
  };
}
