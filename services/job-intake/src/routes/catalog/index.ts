import { Type } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import {
  catalogDecider,
  catalogStreamId,
  DomainError,
  jobStatuses,
  masterArch,
  signaturePolicy,
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
import { collectionRoutes, createRoutes, idFromPath, removalRoutes, replaceRoutes } from '../../http/collection';
import { Entry, NewEntry, NewSuite, NewSuiteArch, ReplacedEntry, ReplacedSuite, StatusView, Suite as SuiteSchema, SuiteArchView } from './schemas';

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
    // Left out: the distribution's defaults, resolved when used; [] is the explicit choice not to check.
    keyrings: body.keyrings ?? [],
    skipSignatureCheck: body.keyrings !== undefined && body.keyrings.length === 0,
    skipLintian: body.lintian === false,
  };
}

const required = (value: string | undefined, field: string): string => {
  const trimmed = value?.trim();
  if (!trimmed) throw badRequest(`${field}: is required`, field);
  return trimmed;
};

/** A suite as the API shows it: the keyrings its builds check against, its defaults resolved. */
const suiteView = (suite: Suite) => {
  const { skipSignatureCheck: _skipSignatureCheck, skipLintian: _skipLintian, ...shown } = suite;
  const policy = signaturePolicy(suite);
  return { ...shown, masterArch: masterArch(suite), keyrings: policy.check ? policy.keyrings : [], checkSignatures: policy.check, lintian: !suite.skipLintian };
};
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
        key: (entry) => [entry.name],
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
      replaceRoutes<ReplacedEntry>(app, {
        ...resource,
        item: Entry,
        body: ReplacedEntry,
        summary: `Add a ${ENTRY_NOUNS[kind]} by its name (201), or find it so already (200)`,
        description: 'The catalogue has no command that changes a description in place, so an existing entry with another description is a 409: remove it and add it again.',
        async replace(request, id, body) {
          const entry = { name: idFromPath(String(id), body.name, 'name'), description: body.description?.trim() ?? '' };
          const existing = (await context.catalog.get()).entries[kind][entry.name];
          if (!existing) {
            await change(request, (at, by) => ({ type: 'AddCatalogEntry', kind, ...entry, at, by }));
            return { status: 201, item: entry };
          }
          if (existing.description !== entry.description) {
            throw conflict(`description: ${kind} "${entry.name}" is described as "${existing.description}"; a description cannot be changed in place`, 'description');
          }
          return { status: 200, item: existing };
        },
      });
      removalRoutes(app, { ...resource, remove: async (request, id) => void (await change(request, (at, by) => ({ type: 'RemoveCatalogEntry', kind, name: String(id), at, by }))) });
    }

    const suites = async () => Object.values((await context.catalog.get()).suites).map(suiteView).sort((a, b) => a.name.localeCompare(b.name));
    const suite = { resource: 'suite', tag, noun: 'suite', id: NameId };
    const defineSuite = async (request: FastifyRequest, body: NewSuite) => {
      const catalog = await context.catalog.get();
      const defined = suiteFrom(body, catalog);
      await change(request, (at, by) => ({ type: 'DefineSuite', suite: defined, at, by }));
      return { status: catalog.suites[defined.name] ? (200 as const) : (201 as const), item: suiteView(defined) };
    };
    collectionRoutes(app, { ...suite, item: SuiteSchema, key: (entry) => [entry.name], items: suites, find: (all, id) => all.find((entry) => entry.name === id) });
    createRoutes<NewSuite>(app, {
      ...suite,
      item: SuiteSchema,
      body: NewSuite,
      summary: 'Define a suite (or redefine it: 200): its dist, architectures with master weights, formats, build environments',
      async create(request, body) {
        const { status, item } = await defineSuite(request, body);
        return { status, id: item.name, item };
      },
    });
    replaceRoutes<ReplacedSuite>(app, {
      ...suite,
      item: SuiteSchema,
      body: ReplacedSuite,
      summary: 'Define the suite named in the path (201), or redefine it (200)',
      replace: (request, id, body) => defineSuite(request, { ...body, name: idFromPath(String(id), body.name, 'name') }),
    });
    removalRoutes(app, {
      ...suite,
      async remove(request, id) {
        // Its unfinished jobs could never build: pyBit, too, refused to remove what is referred to.
        const [unfinished] = (await context.readModels.jobs.list({ suite: String(id), unfinished: true, limit: 1 })).items;
        if (unfinished) throw conflict(`suite "${id}" has unfinished jobs (job ${unfinished.id}, ...): cancel them first`);
        await change(request, (at, by) => ({ type: 'RemoveSuite', name: String(id), at, by }));
      },
    });

    /** Adds an architecture to a suite, or gives it another master weight, by redefining the suite. */
    const defineSuiteArch = async (request: FastifyRequest, suiteName: string, arch: string, masterWeight: number) => {
      const catalog = await context.catalog.get();
      const existing = catalog.suites[suiteName];
      if (!existing) throw new DomainError('unprocessable', `suite_id: no suite "${suiteName}"; define it with POST /suite`, 'suite_id');
      if (!catalog.entries.arch[arch]) throw new DomainError('unprocessable', `arch_id: no arch "${arch}" in the catalogue`, 'arch_id');
      const known = existing.arches.some((entry) => entry.arch === arch);
      const arches = known ? existing.arches.map((entry) => (entry.arch === arch ? { arch, masterWeight } : entry)) : [...existing.arches, { arch, masterWeight }];
      const redefined = { ...existing, arches };
      await change(request, (at, by) => ({ type: 'DefineSuite', suite: redefined, at, by }));
      return { status: known ? (200 as const) : (201 as const), item: { id: suiteArchId(suiteName, arch), suite: suiteName, arch, masterWeight, master: masterArch(redefined) === arch } };
    };
    const suiteArches = async () =>
      (await suites()).flatMap((entry) => entry.arches.map((arch) => ({ id: suiteArchId(entry.name, arch.arch), suite: entry.name, arch: arch.arch, masterWeight: arch.masterWeight, master: entry.masterArch === arch.arch })));
    const suiteArch = { resource: 'suitearch', tag, noun: 'suite architecture', id: Type.String({ minLength: 3, maxLength: 130, description: '<suite>:<arch>' }) };
    collectionRoutes(app, { ...suiteArch, item: SuiteArchView, key: (entry) => [entry.suite, entry.arch], items: suiteArches, find: (all, id) => all.find((entry) => entry.id === id) });
    createRoutes<NewSuiteArch>(app, {
      ...suiteArch,
      item: SuiteArchView,
      body: NewSuiteArch,
      summary: "Add an architecture to a suite, or change its master weight (pyBit's suite_id, arch_id, master_weight)",
      async create(request, body) {
        const suiteName = required(body.suite_id ?? body.suite, 'suite_id');
        const arch = required(body.arch_id ?? body.arch, 'arch_id');
        const { status, item } = await defineSuiteArch(request, suiteName, arch, body.master_weight ?? body.masterWeight ?? 0);
        return { status, id: item.id, item };
      },
    });
    replaceRoutes<NewSuiteArch>(app, {
      ...suiteArch,
      item: SuiteArchView,
      body: NewSuiteArch,
      summary: 'Add the architecture named in the path to its suite (201), or set its master weight (200)',
      description: 'The suite must exist (422 otherwise); a master weight left out is 0.',
      async replace(request, id, body) {
        const [suiteName = '', arch = ''] = String(id).split(':');
        if (!suiteName || !arch) throw badRequest(`id: "${id}" is not <suite>:<arch>`, 'id');
        idFromPath(suiteName, body.suite_id ?? body.suite, 'suite_id');
        idFromPath(arch, body.arch_id ?? body.arch, 'arch_id');
        return defineSuiteArch(request, suiteName, arch, body.master_weight ?? body.masterWeight ?? 0);
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
      // pyBit's order of the statuses, a job's life, rather than the alphabet's.
      key: (status) => [(jobStatuses as readonly string[]).indexOf(status.name)],
      items: async () => jobStatuses.map((name) => ({ name })),
      find: (all, id) => all.find((status) => status.name === id),
    });
  };
}
