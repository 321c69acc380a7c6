import { assertNever, DomainError, type Decider } from '../decider';
import type { BlacklistField, CatalogEntryKind, CatalogEvent, SourceMethod, SuiteArch } from '../events';
import { checkSuiteSettings, signaturePolicy } from './build-settings';

export interface Suite {
  name: string;
  dist: string;
  arches: SuiteArch[];
  formats: string[];
  envs: string[];
  /** Keyrings that .dsc signatures are checked against; empty: the dist's defaults (see signaturePolicy). */
  keyrings: string[];
  /** An admin's explicit choice: .dsc signatures of this suite are not checked. */
  skipSignatureCheck: boolean;
  /** Lintian runs after each deb build of the suite unless this is set. */
  skipLintian: boolean;
}

export interface BlacklistRule {
  ruleId: number;
  field: BlacklistField;
  regex: string;
}

/** The whole catalogue: what the farm builds, folded from the 'catalog' stream. */
export interface Catalog {
  entries: Record<CatalogEntryKind, Record<string, { name: string; description: string }>>;
  suites: Record<string, Suite>;
  blacklist: Record<number, BlacklistRule>;
  nextRuleId: number;
}

interface At {
  at: string;
  by: string;
}
export type CatalogCommand =
  | (At & { type: 'AddCatalogEntry'; kind: CatalogEntryKind; name: string; description: string })
  | (At & { type: 'RemoveCatalogEntry'; kind: CatalogEntryKind; name: string })
  | (At & { type: 'DefineSuite'; suite: Suite })
  | (At & { type: 'RemoveSuite'; name: string })
  | (At & { type: 'AddBlacklistRule'; field: BlacklistField; regex: string })
  | (At & { type: 'RemoveBlacklistRule'; ruleId: number })
  | (At & { type: 'ReplaceBlacklistRule'; ruleId: number; field: BlacklistField; regex: string });

const NAME = /^[a-z0-9][a-z0-9+_.-]*$/i;
function checkBlacklistRule(field: BlacklistField, regex: string): void {
  if (field !== 'name' && field !== 'vcs_uri') throw new DomainError('validation', 'field: must be "name" or "vcs_uri"', 'field');
  try {
    new RegExp(regex);
  } catch (error) {
    throw new DomainError('validation', `regex: ${(error as Error).message}`, 'regex');
  }
}

const emptyCatalog = (): Catalog => ({ entries: { arch: {}, dist: {}, format: {}, env: {} }, suites: {}, blacklist: {}, nextRuleId: 1 });

function checkName(field: string, name: string): void {
  if (!NAME.test(name) || name.length > 64) throw new DomainError('validation', `${field}: "${name}" must be a name of letters, digits, "+", "_", "." and "-"`, field);
}

function suitesUsing(catalog: Catalog, kind: CatalogEntryKind, name: string): string[] {
  return Object.values(catalog.suites)
    .filter((suite) => {
      if (kind === 'arch') return suite.arches.some((arch) => arch.arch === name);
      if (kind === 'dist') return suite.dist === name;
      if (kind === 'format') return suite.formats.includes(name);
      return suite.envs.includes(name);
    })
    .map((suite) => suite.name);
}

export function decideCatalog(command: CatalogCommand, catalog: Catalog): CatalogEvent[] {
  switch (command.type) {
    case 'AddCatalogEntry': {
      checkName('name', command.name);
      if (catalog.entries[command.kind][command.name]) throw new DomainError('conflict', `${command.kind} "${command.name}" exists already`, 'name');
      return [{ type: 'CatalogEntryAdded', data: { kind: command.kind, name: command.name, description: command.description, addedBy: command.by, addedAt: command.at } }];
    }
    case 'RemoveCatalogEntry': {
      if (!catalog.entries[command.kind][command.name]) throw new DomainError('not_found', `no ${command.kind} "${command.name}"`);
      const users = suitesUsing(catalog, command.kind, command.name);
      if (users.length > 0) throw new DomainError('conflict', `${command.kind} "${command.name}" is used by suite ${users.join(', ')}`);
      return [{ type: 'CatalogEntryRemoved', data: { kind: command.kind, name: command.name, removedBy: command.by, removedAt: command.at } }];
    }
    case 'DefineSuite': {
      const { suite } = command;
      checkName('name', suite.name);
      const need = (kind: CatalogEntryKind, field: string, name: string): void => {
        if (!catalog.entries[kind][name]) throw new DomainError('unprocessable', `${field}: no ${kind} "${name}" in the catalogue`, field);
      };
      need('dist', 'dist', suite.dist);
      if (suite.arches.length === 0) throw new DomainError('validation', 'arches: a suite builds at least one architecture', 'arches');
      suite.arches.forEach((arch) => need('arch', 'arches', arch.arch));
      if (suite.formats.length === 0) throw new DomainError('validation', 'formats: a suite builds at least one format', 'formats');
      suite.formats.forEach((format) => need('format', 'formats', format));
      suite.envs.forEach((env) => need('env', 'envs', env));
      checkSuiteSettings(suite);
      const existing = catalog.suites[suite.name];
      if (existing && JSON.stringify(existing) === JSON.stringify(suite)) return [];
      return [{ type: 'SuiteDefined', data: { ...suite, definedBy: command.by, definedAt: command.at } }];
    }
    case 'RemoveSuite':
      if (!catalog.suites[command.name]) throw new DomainError('not_found', `no suite "${command.name}"`);
      return [{ type: 'SuiteRemoved', data: { name: command.name, removedBy: command.by, removedAt: command.at } }];
    case 'AddBlacklistRule':
      checkBlacklistRule(command.field, command.regex);
      return [{ type: 'BlacklistRuleAdded', data: { ruleId: catalog.nextRuleId, field: command.field, regex: command.regex, addedBy: command.by, addedAt: command.at } }];
    case 'RemoveBlacklistRule':
      if (!catalog.blacklist[command.ruleId]) throw new DomainError('not_found', `no blacklist rule ${command.ruleId}`);
      return [{ type: 'BlacklistRuleRemoved', data: { ruleId: command.ruleId, removedBy: command.by, removedAt: command.at } }];
    case 'ReplaceBlacklistRule': {
      const rule = catalog.blacklist[command.ruleId];
      if (!rule) throw new DomainError('not_found', `no blacklist rule ${command.ruleId}`);
      checkBlacklistRule(command.field, command.regex);
      if (rule.field === command.field && rule.regex === command.regex) return [];
      // Removed and added again under its own number, in one append: no moment without the rule.
      return [
        { type: 'BlacklistRuleRemoved', data: { ruleId: command.ruleId, removedBy: command.by, removedAt: command.at } },
        { type: 'BlacklistRuleAdded', data: { ruleId: command.ruleId, field: command.field, regex: command.regex, addedBy: command.by, addedAt: command.at } },
      ];
    }
    default:
      return assertNever(command);
  }
}

export function evolveCatalog(catalog: Catalog, event: CatalogEvent): Catalog {
  switch (event.type) {
    case 'CatalogEntryAdded':
      return { ...catalog, entries: { ...catalog.entries, [event.data.kind]: { ...catalog.entries[event.data.kind], [event.data.name]: { name: event.data.name, description: event.data.description } } } };
    case 'CatalogEntryRemoved': {
      const { [event.data.name]: _removed, ...rest } = catalog.entries[event.data.kind];
      return { ...catalog, entries: { ...catalog.entries, [event.data.kind]: rest } };
    }
    case 'SuiteDefined': {
      const { definedAt: _at, definedBy: _by, ...suite } = event.data;
      return { ...catalog, suites: { ...catalog.suites, [suite.name]: suite } };
    }
    case 'SuiteRemoved': {
      const { [event.data.name]: _removed, ...rest } = catalog.suites;
      return { ...catalog, suites: rest };
    }
    case 'BlacklistRuleAdded':
      return {
        ...catalog,
        blacklist: { ...catalog.blacklist, [event.data.ruleId]: { ruleId: event.data.ruleId, field: event.data.field, regex: event.data.regex } },
        nextRuleId: Math.max(catalog.nextRuleId, event.data.ruleId + 1),
      };
    case 'BlacklistRuleRemoved': {
      const { [event.data.ruleId]: _removed, ...rest } = catalog.blacklist;
      return { ...catalog, blacklist: rest };
    }
    default:
      return assertNever(event);
  }
}

export const catalogDecider: Decider<CatalogCommand, CatalogEvent, Catalog> = {
  decide: decideCatalog,
  evolve: evolveCatalog,
  initialState: emptyCatalog,
};

/** The suite's master architecture: the highest master weight, ties by name. It builds Architecture: all. */
export function masterArch(suite: Suite): string {
  const [master] = [...suite.arches].sort((a, b) => b.masterWeight - a.masterWeight || a.arch.localeCompare(b.arch));
  if (!master) throw new DomainError('unprocessable', `suite "${suite.name}" builds no architecture`, 'suite');
  return master.arch;
}

function suiteOf(catalog: Catalog, name: string): Suite {
  const suite = catalog.suites[name];
  if (!suite) throw new DomainError('unprocessable', `suite: "${name}" is not in the catalogue (known: ${Object.keys(catalog.suites).join(', ') || 'none'})`, 'suite');
  return suite;
}

/** pyBit's architecture lists: "any" is every architecture of the suite, "all" its master only. */
export function expandArchitectures(catalog: Catalog, suiteName: string, spec: string | string[]): string[] {
  const suite = suiteOf(catalog, suiteName);
  const requested = (Array.isArray(spec) ? spec : spec.split(',')).map((arch) => arch.trim()).filter(Boolean);
  if (requested.length === 0) throw new DomainError('validation', 'arch: name at least one architecture, "any" or "all"', 'arch');
  const arches = requested.flatMap((arch) => (arch === 'any' ? suite.arches.map((entry) => entry.arch) : arch === 'all' ? [masterArch(suite)] : [arch]));
  for (const arch of arches) {
    if (!suite.arches.some((entry) => entry.arch === arch)) {
      throw new DomainError('unprocessable', `arch: suite "${suite.name}" does not build "${arch}" (it builds ${suite.arches.map((entry) => entry.arch).join(', ')})`, 'arch');
    }
  }
  return [...new Set(arches)];
}

export function buildsArchIndep(catalog: Catalog, suiteName: string, arch: string): boolean {
  return masterArch(suiteOf(catalog, suiteName)) === arch;
}

/** Refuses, naming the field, a job the catalogue cannot build or the blacklist forbids. */
export function checkJobAgainstCatalog(
  catalog: Catalog,
  job: { suite: string; dist: string; arch: string; format: string; env: string; package: string; sourceUrl: string; sourceMethod?: SourceMethod },
): { dist: string } {
  const suite = suiteOf(catalog, job.suite);
  if (job.dist !== '' && job.dist !== suite.dist) throw new DomainError('unprocessable', `dist: suite "${suite.name}" belongs to "${suite.dist}", not "${job.dist}"`, 'dist');
  if (!suite.arches.some((entry) => entry.arch === job.arch)) {
    throw new DomainError('unprocessable', `arch: suite "${suite.name}" does not build "${job.arch}"`, 'arch');
  }
  if (!suite.formats.includes(job.format)) throw new DomainError('unprocessable', `format: suite "${suite.name}" does not build "${job.format}"`, 'format');
  if (job.env !== '' && !catalog.entries.env[job.env]) {
    const known = Object.keys(catalog.entries.env);
    throw new DomainError('unprocessable', `env: "${job.env}" is not in the catalogue (known: ${known.length === 0 ? 'none' : known.join(', ')})`, 'env');
  }
  if (job.env !== '' && suite.envs.length > 0 && !suite.envs.includes(job.env)) {
    throw new DomainError('unprocessable', `env: suite "${suite.name}" is not built in environment "${job.env}"`, 'env');
  }
  if (job.sourceMethod === 'dsc' || job.sourceMethod === 'apt') {
    const policy = signaturePolicy(suite);
    if (policy.check && policy.keyrings.length === 0) {
      throw new DomainError(
        'unprocessable',
        `source.method: suite "${suite.name}" names no keyring to check a .dsc's signature against: an admin sets its keyrings (or keyrings: [] to build such sources unchecked)`,
        'source.method',
      );
    }
  }
  for (const rule of Object.values(catalog.blacklist)) {
    const value = rule.field === 'name' ? job.package : job.sourceUrl;
    if (new RegExp(rule.regex).test(value)) {
      throw new DomainError('unprocessable', `${rule.field === 'name' ? 'package' : 'source.url'}: blacklisted by rule ${rule.ruleId} (${rule.field} ~ /${rule.regex}/)`, rule.field === 'name' ? 'package' : 'source.url');
    }
  }
  return { dist: suite.dist };
}
