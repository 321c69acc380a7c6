import type { CatalogEvent } from '../events';
import { deciderSpec } from '../testing/given-when-then';
import { DEBIAN_KEYRINGS, isDebianSuite, signaturePolicy, suiteBuildSettings } from './build-settings';
import { catalogDecider, checkJobAgainstCatalog, expandArchitectures, masterArch, type Catalog, type Suite } from './catalog';

const at = '2026-11-24T10:00:00Z';
const added = (kind: 'arch' | 'dist' | 'format' | 'env', name: string): CatalogEvent => ({ type: 'CatalogEntryAdded', data: { kind, name, description: '', addedBy: 'admin', addedAt: at } });
const base: CatalogEvent[] = [added('arch', 'amd64'), added('arch', 'arm64'), added('arch', 'i386'), added('dist', 'debian'), added('format', 'deb')];
const bookworm: CatalogEvent = {
  type: 'SuiteDefined',
  data: { name: 'bookworm', dist: 'debian', arches: [{ arch: 'arm64', masterWeight: 5 }, { arch: 'amd64', masterWeight: 10 }, { arch: 'i386', masterWeight: 1 }], formats: ['deb'], envs: [], keyrings: [], skipSignatureCheck: false, skipLintian: false, definedBy: 'admin', definedAt: at },
};
const spec = deciderSpec(catalogDecider);
const catalogOf = (events: CatalogEvent[]): Catalog => events.reduce(catalogDecider.evolve, catalogDecider.initialState());

describe('the catalogue', () => {
  it('refuses a suite naming an architecture it does not know, naming the field', () =>
    spec.given(base).when({ type: 'DefineSuite', suite: { name: 'sid', dist: 'debian', arches: [{ arch: 'riscv64', masterWeight: 1 }], formats: ['deb'], envs: [], keyrings: [], skipSignatureCheck: false, skipLintian: false }, at, by: 'admin' }).thenThrows({ kind: 'unprocessable', field: 'arches' }));

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

describe('the suite settings a build carries', () => {
  const suite = (overrides: Partial<Suite>): Suite => ({
    name: 'bookworm',
    dist: 'debian',
    arches: [{ arch: 'amd64', masterWeight: 1 }],
    formats: ['deb'],
    envs: [],
    keyrings: [],
    skipSignatureCheck: false,
    skipLintian: false,
    ...overrides,
  });

  it("takes Debian's keyrings for Debian suites, by dist or by the suite's name, and none for others", () => {
    expect(signaturePolicy(suite({}))).toEqual({ check: true, keyrings: [...DEBIAN_KEYRINGS] });
    expect(isDebianSuite({ name: 'trixie-backports', dist: 'Ubuntu' })).toBe(true);
    expect(isDebianSuite({ name: 'internal', dist: 'Debian' })).toBe(true);
    expect(signaturePolicy(suite({ name: 'el9', dist: 'rhel' }))).toEqual({ check: true, keyrings: [] });
  });

  it('takes the keyrings an admin named instead of the defaults, and no check only when chosen', () => {
    expect(signaturePolicy(suite({ keyrings: ['/etc/tsbit/uploaders.gpg'] }))).toEqual({ check: true, keyrings: ['/etc/tsbit/uploaders.gpg'] });
    expect(signaturePolicy(suite({ skipSignatureCheck: true }))).toEqual({ check: false });
    expect(suiteBuildSettings(suite({ skipSignatureCheck: true, skipLintian: true }), { suite: 'bookworm', dist: 'debian' })).toEqual({ keyrings: [], skipSignatureCheck: true, runLintian: false });
  });

  it("gives a suite no longer in the catalogue its dist's defaults, lintian included", () => {
    expect(suiteBuildSettings(undefined, { suite: 'sid', dist: 'debian' })).toEqual({ keyrings: [...DEBIAN_KEYRINGS], skipSignatureCheck: false, runLintian: true });
  });

  it('refuses keyrings that are not absolute paths, and keyrings on a suite that skips the check, naming the field', () => {
    const define = (settings: Partial<Suite>) => spec.given(base).when({ type: 'DefineSuite', suite: suite(settings), at, by: 'admin' });
    define({ keyrings: ['keyring.gpg'] }).thenThrows({ kind: 'validation', field: 'keyrings' });
    define({ keyrings: ['/usr/share/../../etc/shadow'] }).thenThrows({ kind: 'validation', field: 'keyrings' });
    define({ keyrings: ['/etc/k.gpg'], skipSignatureCheck: true }).thenThrows({ kind: 'validation', field: 'keyrings' });
    define({ keyrings: ['/etc/tsbit/k.gpg'], skipLintian: true }).then([{ type: 'SuiteDefined', data: { ...suite({ keyrings: ['/etc/tsbit/k.gpg'], skipLintian: true }), definedBy: 'admin', definedAt: at } }]);
  });

  it('refuses a dsc or apt job for a suite that has no keyring and did not choose to skip the check', () => {
    const el9: CatalogEvent = { ...bookworm, data: { ...bookworm.data, name: 'el9', dist: 'rhel' } };
    const catalog = catalogOf([...base, added('dist', 'rhel'), el9]);
    const job = { suite: 'el9', dist: '', arch: 'amd64', format: 'deb', env: '', package: 'hello', sourceUrl: '', sourceMethod: 'apt' as const };
    expect(() => checkJobAgainstCatalog(catalog, job)).toThrow(expect.objectContaining({ kind: 'unprocessable', field: 'source.method' }));
    expect(checkJobAgainstCatalog(catalog, { ...job, sourceMethod: 'git' })).toEqual({ dist: 'rhel' });
    const unchecked = catalogOf([...base, added('dist', 'rhel'), { ...el9, data: { ...el9.data, skipSignatureCheck: true } }]);
    expect(checkJobAgainstCatalog(unchecked, job)).toEqual({ dist: 'rhel' });
  });
});
