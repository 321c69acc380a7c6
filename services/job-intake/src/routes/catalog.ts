import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { catalogDecider, catalogStreamId, jobStatuses, masterArch, type CatalogCommand, type CatalogEntryKind, type Suite } from '@tsbit/domain';
import { handleCommand } from '@tsbit/event-log';
import { badRequest, notFound } from '@tsbit/service-kit';
import type { RouteContext } from '../app';
import { nameParams, problems } from './schemas';

const PAGE_SIZE = 50;
const ENTRY_KINDS: CatalogEntryKind[] = ['arch', 'dist', 'format', 'env'];

type Body = Record<string, unknown>;
const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : typeof value === 'string' && value !== '' ? value.split(',').map((item) => item.trim()) : []);

/**
 * The catalogue as pyBit's resources: arch, dist, format, env, suite, suitearch, status and
 * blacklist, each with list, page, count, one, create (admin) and delete (admin, also by GET or
 * POST to /<r>/:id/delete for HTML forms). Every change is an event on the 'catalog' stream.
 */
export function catalogRoutes(context: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const run = async (request: FastifyRequest, make: (at: string, by: string) => CatalogCommand) => {
      const by = context.writer(request, 'admin');
      await handleCommand({ log: context.log, stream: catalogStreamId, decider: catalogDecider, command: make(context.clock().toISOString(), by.name), metadata: { causedBy: by } });
    };

    const collection = <T>(resource: string, summary: string, items: () => Promise<T[]>, key: (item: T) => string) => {
      const tags = ['catalogue'];
      for (const url of [`/${resource}`, `/${resource}/`]) app.get(url, { schema: { tags, summary: `Every ${summary}` } }, items);
      app.get(`/${resource}/page/:n`, { schema: { tags, summary: `A page of ${summary}s`, params: { type: 'object', properties: { n: { type: 'integer', minimum: 1 } } } } }, async (request) => {
        const n = (request.params as { n: number }).n;
        return (await items()).slice((n - 1) * PAGE_SIZE, n * PAGE_SIZE);
      });
      app.get(`/${resource}/count`, { schema: { tags, summary: `How many ${summary}s, and pages of ${PAGE_SIZE}` } }, async () => {
        const total = (await items()).length;
        return { total, pages: Math.ceil(total / PAGE_SIZE) };
      });
      app.get(`/${resource}/:name`, { schema: { tags, summary: `One ${summary}`, params: nameParams, response: { ...problems } } }, async (request) => {
        const { name } = request.params as { name: string };
        const found = (await items()).find((item) => key(item) === name);
        if (!found) throw notFound(`no ${resource} "${name}"`);
        return found;
      });
    };

    const writable = (resource: string, create: (body: Body) => (at: string, by: string) => CatalogCommand, remove: (id: string) => (at: string, by: string) => CatalogCommand) => {
      const tags = ['catalogue'];
      const createRoute = async (request: FastifyRequest, reply: FastifyReply) => {
        await run(request, create((request.body ?? {}) as Body));
        return reply.status(201).send({ created: true });
      };
      for (const url of [`/${resource}`, `/${resource}/`]) {
        app.post(url, { schema: { tags, summary: `Add a ${resource} (admin)`, response: { ...problems } } }, createRoute);
        app.put(url, { schema: { tags, summary: `Add a ${resource} (admin)`, hide: true } }, createRoute);
      }
      const removeRoute = async (request: FastifyRequest) => {
        await run(request, remove((request.params as { name: string }).name));
        return { deleted: true };
      };
      app.delete(`/${resource}/:name`, { schema: { tags, summary: `Remove a ${resource} (admin)`, params: nameParams, response: { ...problems } } }, removeRoute);
      app.get(`/${resource}/:name/delete`, { schema: { tags, summary: 'Remove (HTML forms)', params: nameParams } }, removeRoute);
      app.post(`/${resource}/:name/delete`, { schema: { tags, summary: 'Remove (HTML forms)', params: nameParams } }, removeRoute);
    };

    const name = (body: Body): string => {
      if (typeof body.name !== 'string' || body.name.trim() === '') throw badRequest('name: is required', 'name');
      return body.name.trim();
    };

    for (const kind of ENTRY_KINDS) {
      collection(kind, kind, async () => Object.values((await context.catalog.get()).entries[kind]), (entry) => entry.name);
      writable(
        kind,
        (body) => (at, by) => ({ type: 'AddCatalogEntry', kind, name: name(body), description: typeof body.description === 'string' ? body.description : '', at, by }),
        (id) => (at, by) => ({ type: 'RemoveCatalogEntry', kind, name: id, at, by }),
      );
    }

    const suites = async () => Object.values((await context.catalog.get()).suites).map((suite) => ({ ...suite, masterArch: masterArch(suite) }));
    collection('suite', 'suite', suites, (suite) => suite.name);
    writable(
      'suite',
      (body) => (at, by) => {
        const arches = Array.isArray(body.arches)
          ? body.arches.map((arch: unknown) => (typeof arch === 'string' ? { arch, masterWeight: 0 } : { arch: String((arch as Body).arch), masterWeight: Number((arch as Body).masterWeight ?? 0) }))
          : list(body.arches).map((arch, index) => ({ arch, masterWeight: index === 0 ? 1 : 0 }));
        const suite: Suite = { name: name(body), dist: typeof body.dist === 'string' ? body.dist : '', arches, formats: list(body.formats).length ? list(body.formats) : ['deb'], envs: list(body.envs) };
        if (suite.dist === '') throw badRequest('dist: is required', 'dist');
        return { type: 'DefineSuite', suite, at, by };
      },
      (id) => (at, by) => ({ type: 'RemoveSuite', name: id, at, by }),
    );

    const suiteArches = async () =>
      (await suites()).flatMap((suite) => suite.arches.map((arch) => ({ id: `${suite.name}-${arch.arch}`, suite: suite.name, arch: arch.arch, masterWeight: arch.masterWeight, master: suite.masterArch === arch.arch })));
    collection('suitearch', 'suite architecture', suiteArches, (entry) => entry.id);
    for (const url of ['/suitearch', '/suitearch/']) {
      app.post(url, { schema: { tags: ['catalogue'], summary: "Add an architecture to a suite (pyBit's suite_id, arch_id, master_weight)" } }, async (request, reply) => {
        const body = (request.body ?? {}) as Body;
        const suiteName = String(body.suite_id ?? body.suite ?? '');
        const arch = String(body.arch_id ?? body.arch ?? '');
        const existing = (await context.catalog.get()).suites[suiteName];
        if (!existing) throw notFound(`no suite "${suiteName}"`);
        const weight = Number(body.master_weight ?? 0);
        const arches = [...existing.arches.filter((entry) => entry.arch !== arch), { arch, masterWeight: Number.isFinite(weight) ? weight : 0 }];
        await run(request, (at, by) => ({ type: 'DefineSuite', suite: { ...existing, arches }, at, by }));
        return reply.status(201).send({ created: true });
      });
    }

    collection('status', 'job status', async () => jobStatuses.map((status) => ({ name: status })), (status) => status.name);

    const rules = async () => Object.values((await context.catalog.get()).blacklist);
    collection('blacklist', 'blacklist rule', rules, (rule) => String(rule.ruleId));
    writable(
      'blacklist',
      (body) => (at, by) => {
        if (body.field !== 'name' && body.field !== 'vcs_uri') throw badRequest('field: must be "name" or "vcs_uri"', 'field');
        if (typeof body.regex !== 'string' || body.regex === '') throw badRequest('regex: is required', 'regex');
        return { type: 'AddBlacklistRule', field: body.field, regex: body.regex, at, by };
      },
      (id) => (at, by) => {
        const ruleId = Number(id);
        if (!Number.isInteger(ruleId)) throw badRequest('id: a blacklist rule id is a number', 'id');
        return { type: 'RemoveBlacklistRule', ruleId, at, by };
      },
    );
  };
}
