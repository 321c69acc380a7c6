import type { CatalogEvent } from '../events';
import { deciderSpec } from '../testing/given-when-then';
import { catalogDecider, checkJobAgainstCatalog, expandArchitectures, masterArch, type Catalog } from './catalog';

const at = '2026-11-24T10:00:00Z';
const added = (kind: 'arch' | 'dist' | 'format' | 'env', name: string): CatalogEvent => ({ type: 'CatalogEntryAdded', data: { kind, name, description: '', addedBy: 'admin', addedAt: at } });
const base: CatalogEvent[] = [added('arch', 'amd64'), added('arch', 'arm64'), added('arch', 'i386'), added('dist', 'debian'), added('format', 'deb')];
const bookworm: CatalogEvent = {
  type: 'SuiteDefined',
  data: { name: 'bookworm', dist: 'debian', arches: [{ arch: 'arm64', masterWeight: 5 }, { arch: 'amd64', masterWeight: 10 }, { arch: 'i386', masterWeight: 1 }], formats: ['deb'], envs: [], definedBy: 'admin', definedAt: at },
};
const spec = deciderSpec(catalogDecider);
const catalogOf = (events: CatalogEvent[]): Catalog => events.reduce(catalogDecider.evolve, catalogDecider.initialState());

describe('the catalogue', () => {
  it('refuses a suite naming an architecture it does not know, naming the field', () =>
    spec.given(base).when({ type: 'DefineSuite', suite: { name: 'sid', dist: 'debian', arches: [{ arch: 'riscv64', masterWeight: 1 }], formats: ['deb'], envs: [] }, at, by: 'admin' }).thenThrows({ kind: 'unprocessable', field: 'arches' }));

  it('refuses to remove an architecture a suite still builds', () =>
    spec.given([...base, bookworm]).when({ type: 'RemoveCatalogEntry', kind: 'arch', name: 'arm64', at, by: 'admin' }).thenThrows({ kind: 'conflict' }));

  it('refuses a blacklist rule that is not a regular expression', () =>
    spec.given(base).when({ type: 'AddBlacklistRule', field: 'name', regex: '(', at, by: 'admin' }).thenThrows({ kind: 'validation', field: 'regex' }));

  it('changes a blacklist rule in place under its own number, in one decision', () => {
    const rule: CatalogEvent = { type: 'BlacklistRuleAdded', data: { ruleId: 1, field: 'name', regex: '^evil-', addedBy: 'admin', addedAt: at } };
    spec.given([...base, rule]).when({ type: 'ReplaceBlacklistRule', ruleId: 1, field: 'vcs_uri', regex: 'evil\\.example', at, by: 'root' }).then([
      { type: 'BlacklistRuleRemoved', data: { ruleId: 1, removedBy: 'root', removedAt: at } },
      { type: 'BlacklistRuleAdded', data: { ruleId: 1, field: 'vcs_uri', regex: 'evil\\.example', addedBy: 'root', addedAt: at } },
    ]);
    spec.given([...base, rule]).when({ type: 'ReplaceBlacklistRule', ruleId: 1, field: 'name', regex: '^evil-', at, by: 'root' }).then([]);
    spec.given([...base, rule]).when({ type: 'ReplaceBlacklistRule', ruleId: 2, field: 'name', regex: 'x', at, by: 'root' }).thenThrows({ kind: 'not_found' });
    spec.given([...base, rule]).when({ type: 'ReplaceBlacklistRule', ruleId: 1, field: 'name', regex: '[', at, by: 'root' }).thenThrows({ kind: 'validation', field: 'regex' });
    // The next rule still gets a new number.
    spec.given([...base, rule]).when({ type: 'AddBlacklistRule', field: 'name', regex: 'y', at, by: 'root' }).then([{ type: 'BlacklistRuleAdded', data: { ruleId: 2, field: 'name', regex: 'y', addedBy: 'root', addedAt: at } }]);
  });

  it('makes the heaviest architecture the master, which alone builds Architecture: all', () => {
    const catalog = catalogOf([...base, bookworm]);
    expect(masterArch(catalog.suites.bookworm!)).toBe('amd64');
    expect(expandArchitectures(catalog, 'bookworm', 'all')).toEqual(['amd64']);
    expect(expandArchitectures(catalog, 'bookworm', 'any')).toEqual(['arm64', 'amd64', 'i386']);
    expect(() => expandArchitectures(catalog, 'bookworm', ['amd64', 'riscv64'])).toThrow(/does not build "riscv64"/);
  });

  it('refuses jobs for what it does not hold, and blacklisted ones, naming the field', () => {
    const catalog = catalogOf([...base, bookworm, { type: 'BlacklistRuleAdded', data: { ruleId: 1, field: 'vcs_uri', regex: 'evil\\.example', addedBy: 'admin', addedAt: at } }]);
    const job = { suite: 'bookworm', dist: '', arch: 'amd64', format: 'deb', env: '', package: 'hello', sourceUrl: 'https://salsa.debian.org/hello.git' };
    expect(checkJobAgainstCatalog(catalog, job)).toEqual({ dist: 'debian' });
    expect(() => checkJobAgainstCatalog(catalog, { ...job, suite: 'trixie' })).toThrow(expect.objectContaining({ field: 'suite' }));
    expect(() => checkJobAgainstCatalog(catalog, { ...job, format: 'rpm' })).toThrow(expect.objectContaining({ field: 'format' }));
    expect(() => checkJobAgainstCatalog(catalog, { ...job, sourceUrl: 'https://evil.example/x.git' })).toThrow(/blacklisted by rule 1/);
  });

  it('refuses a build environment that is not in the catalogue, or that the suite is not built in', () => {
    const job = { suite: 'bookworm', dist: '', arch: 'amd64', format: 'deb', env: 'sbuild', package: 'hello', sourceUrl: 'https://salsa.debian.org/hello.git' };
    expect(() => checkJobAgainstCatalog(catalogOf([...base, bookworm]), job)).toThrow(expect.objectContaining({ kind: 'unprocessable', field: 'env', message: 'env: "sbuild" is not in the catalogue (known: none)' }));
    const withEnvs = catalogOf([...base, added('env', 'sbuild'), added('env', 'pbuilder'), { ...bookworm, data: { ...bookworm.data, envs: ['pbuilder'] } }]);
    expect(() => checkJobAgainstCatalog(withEnvs, job)).toThrow(expect.objectContaining({ field: 'env', message: 'env: suite "bookworm" is not built in environment "sbuild"' }));
    expect(checkJobAgainstCatalog(withEnvs, { ...job, env: 'pbuilder' })).toEqual({ dist: 'debian' });
  });
});
