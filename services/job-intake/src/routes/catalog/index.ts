import { Type } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import {
  catalogDecider,
  catalogStreamId,
  DomainError,
  jobStatuses,
  masterArch,
  type Catalog,
  type CatalogCommand,
  type CatalogEntryKind,
  type CatalogEvent,
  type Suite,
} from '@tsbit/domain';
import { handleCommand } from '@tsbit/event-log';
import { badRequest, conflict, notFound } from '@tsbit/service-kit';
import type { JobIntakeContext } from '../../context';
import { actorOf, metadataOf } from '../../http/access';
import { collectionRoutes, createRoutes, removalRoutes } from '../../http/collection';
import { Entry, NewEntry, NewSuite, NewSuiteArch, StatusView, Suite as SuiteSchema, SuiteArchView } from './schemas';

const tag = 'catalogue';
const ENTRY_NOUNS: Record<CatalogEntryKind, string> = { arch: 'architecture', dist: 'distribution', format: 'package format', env: 'build environment' };
const NameId = Type.String({ minLength: 1, maxLength: 128 });

/** Runs a catalogue command as the request's admin; returns the events it appended. */
export async function changeCatalog(context: JobIntakeContext, request: FastifyRequest, make: (at: string, by: string) => CatalogCommand): Promise<CatalogEvent[]> {
  const by = actorOf(request);
  const { events } = await handleCommand({
    log: context.log,
    stream: catalogStreamId,
    decider: catalogDecider,
    command: make(context.clock().toISOString(), by.name),
    metadata: metadataOf(request, by),
  });
  return events;
}

const split = (value: string | string[] | undefined): string[] =>
  (Array.isArray(value) ? value : (value ?? '').split(',')).map((item) => item.trim()).filter((item) => item !== '');

/** The one entry of a kind, when a field may be left out because there is nothing to choose. */
function onlyOne(catalog: Catalog, kind: 'dist' | 'format', field: string): string {
  const names = Object.keys(catalog.entries[kind]);
  if (names.length !== 1) throw badRequest(`${field}: is required (the catalogue holds ${names.length === 0 ? 'none' : names.join(', ')})`, field);
  return names[0] as string;
}

/** A suite from the API's body: arch names list the master first; formats and dist may be implied. */
export function suiteFrom(body: NewSuite, catalog: Catalog): Suite {
  const listed = typeof body.arches === 'string' ? split(body.arches) : body.arches;
  if (listed.length === 0) throw badRequest('arches: a suite builds at least one architecture', 'arches');
  const arches = listed.map((entry, index) => (typeof entry === 'string' ? { arch: entry.trim(), masterWeight: listed.length - index } : entry));
  const formats = split(body.formats);
  return {
    name: body.name.trim(),
    dist: body.dist?.trim() || onlyOne(catalog, 'dist', 'dist'),
    arches,
    formats: formats.length > 0 ? formats : [onlyOne(catalog, 'format', 'formats')],
    envs: split(body.envs),
  };
}

const required = (value: string | undefined, field: string): string => {
  const trimmed = value?.trim();
  if (!trimmed) throw badRequest(`${field}: is required`, field);
  return trimmed;
};

const suiteView = (suite: Suite) => ({ ...suite, masterArch: masterArch(suite) });
const suiteArchId = (suite: string, arch: string): string => `${suite}:${arch}`;

/**
 * The catalogue as pyBit's resources: arch, dist, format, env, suite, suitearch (suite ×
 * architecture with its master weight) and status. Every change is a command on the 'catalog'
 * stream; reads come from the catalogue folded in memory.
 */
export function catalogRoutes(context: JobIntakeContext): FastifyPluginAsync {
  return async (app) => {
    const change = (request: FastifyRequest, make: (at: string, by: string) => CatalogCommand) => changeCatalog(context, request, make);

    for (const kind of Object.keys(ENTRY_NOUNS) as CatalogEntryKind[]) {
      const resource = { resource: kind, tag, noun: ENTRY_NOUNS[kind], id: NameId };
      collectionRoutes(app, {
        ...resource,
        item: Entry,
        items: async () => Object.values((await context.catalog.get()).entries[kind]).sort((a, b) => a.name.localeCompare(b.name)),
        find: (entries, id) => entries.find((entry) => entry.name === id),
      });
      createRoutes<NewEntry>(app, {
        ...resource,
        item: Entry,
        body: NewEntry,
        summary: `Add a ${ENTRY_NOUNS[kind]}`,
        async create(request, body) {
          const entry = { name: body.name.trim(), description: body.description?.trim() ?? '' };
          await change(request, (at, by) => ({ type: 'AddCatalogEntry', kind, ...entry, at, by }));
          return { status: 201, id: entry.name, item: entry };
        },
      });
      removalRoutes(app, { ...resource, remove: async (request, id) => void (await change(request, (at, by) => ({ type: 'RemoveCatalogEntry', kind, name: String(id), at, by }))) });
    }

    const suites = async () => Object.values((await context.catalog.get()).suites).map(suiteView).sort((a, b) => a.name.localeCompare(b.name));
    const suite = { resource: 'suite', tag, noun: 'suite', id: NameId };
    collectionRoutes(app, { ...suite, item: SuiteSchema, items: suites, find: (all, id) => all.find((entry) => entry.name === id) });
    createRoutes<NewSuite>(app, {
      ...suite,
      item: SuiteSchema,
      body: NewSuite,
      summary: 'Define a suite (or redefine it: 200): its dist, architectures with master weights, formats, build environments',
      async create(request, body) {
        const catalog = await context.catalog.get();
        const defined = suiteFrom(body, catalog);
        await change(request, (at, by) => ({ type: 'DefineSuite', suite: defined, at, by }));
        return { status: catalog.suites[defined.name] ? 200 : 201, id: defined.name, item: suiteView(defined) };
      },
    });
    removalRoutes(app, { ...suite, remove: async (request, id) => void (await change(request, (at, by) => ({ type: 'RemoveSuite', name: String(id), at, by }))) });

    const suiteArches = async () =>
      (await suites()).flatMap((entry) => entry.arches.map((arch) => ({ id: suiteArchId(entry.name, arch.arch), suite: entry.name, arch: arch.arch, masterWeight: arch.masterWeight, master: entry.masterArch === arch.arch })));
    const suiteArch = { resource: 'suitearch', tag, noun: 'suite architecture', id: Type.String({ minLength: 3, maxLength: 130, description: '<suite>:<arch>' }) };
    collectionRoutes(app, { ...suiteArch, item: SuiteArchView, items: suiteArches, find: (all, id) => all.find((entry) => entry.id === id) });
    createRoutes<NewSuiteArch>(app, {
      ...suiteArch,
      item: SuiteArchView,
      body: NewSuiteArch,
      summary: "Add an architecture to a suite, or change its master weight (pyBit's suite_id, arch_id, master_weight)",
      async create(request, body) {
        const suiteName = required(body.suite_id ?? body.suite, 'suite_id');
        const arch = required(body.arch_id ?? body.arch, 'arch_id');
        const catalog = await context.catalog.get();
        const existing = catalog.suites[suiteName];
        if (!existing) throw new DomainError('unprocessable', `suite_id: no suite "${suiteName}"; define it with POST /suite`, 'suite_id');
        if (!catalog.entries.arch[arch]) throw new DomainError('unprocessable', `arch_id: no arch "${arch}" in the catalogue`, 'arch_id');
        const masterWeight = body.master_weight ?? body.masterWeight ?? 0;
        const known = existing.arches.some((entry) => entry.arch === arch);
        const arches = known ? existing.arches.map((entry) => (entry.arch === arch ? { arch, masterWeight } : entry)) : [...existing.arches, { arch, masterWeight }];
        const redefined = { ...existing, arches };
        await change(request, (at, by) => ({ type: 'DefineSuite', suite: redefined, at, by }));
        return { status: known ? 200 : 201, id: suiteArchId(suiteName, arch), item: { id: suiteArchId(suiteName, arch), suite: suiteName, arch, masterWeight, master: masterArch(redefined) === arch } };
      },
    });
    removalRoutes(app, {
      ...suiteArch,
      async remove(request, id) {
        const [suiteName = '', arch = ''] = String(id).split(':');
        const existing = (await context.catalog.get()).suites[suiteName];
        if (!existing?.arches.some((entry) => entry.arch === arch)) throw notFound(`no suitearch "${id}"`);
        if (existing.arches.length === 1) throw conflict(`suite "${suiteName}" builds only ${arch}: remove the suite instead`);
        await change(request, (at, by) => ({ type: 'DefineSuite', suite: { ...existing, arches: existing.arches.filter((entry) => entry.arch !== arch) }, at, by }));
      },
    });

    collectionRoutes(app, {
      resource: 'status',
      tag,
      noun: 'job status',
      id: NameId,
      item: StatusView,
      items: async () => jobStatuses.map((name) => ({ name })),
      find: (all, id) => all.find((status) => status.name === id),
    });
  };
}
