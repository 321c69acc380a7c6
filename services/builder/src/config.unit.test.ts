import { readConfig } from '@tsbit/service-kit';
import { buildEnvironment } from './build-runner';
import { parseBuildRequest, MalformedRequest } from './build-request';
import { configSchema, resolveBuilderSettings, type MachineDefaults } from './config';

const machine: MachineDefaults = { hostname: 'build01.example.org', arch: 'arm64', hasRpmbuild: false, workDir: '/var/tmp/tsbit', chrootDir: '/home/b/.cache/sbuild' };

describe('builder settings', () => {
  it('fills machine-dependent defaults: host name, dpkg architecture, deb only without rpmbuild', () => {
    const settings = resolveBuilderSettings(readConfig(configSchema, {}), machine);
    expect(settings).toMatchObject({
      name: 'build01.example.org',
      arches: ['arm64'],
      suites: ['bookworm'],
      formats: ['deb'],
      slots: 1,
      workDir: '/var/tmp/tsbit',
      backend: 'sbuild',
      chrootDir: '/home/b/.cache/sbuild',
      repositoryUrl: 'http://127.0.0.1:8080/repos',
      heartbeatMs: 5000,
      helloEvery: 6,
      buildTimeoutMs: 3_600_000,
    });
    expect(resolveBuilderSettings(readConfig(configSchema, {}), { ...machine, hasRpmbuild: true }).formats).toEqual(['deb', 'rpm']);
    const elsewhere = resolveBuilderSettings(readConfig(configSchema, { TSBIT_CHROOT_DIR: '/srv/chroots', TSBIT_API_URL: 'https://farm.example.org/' }), machine);
    expect(elsewhere).toMatchObject({ chrootDir: '/srv/chroots', repositoryUrl: 'https://farm.example.org/repos' });
    expect(resolveBuilderSettings(readConfig(configSchema, { TSBIT_APT_SOURCES: '/etc/tsbit/debian.sources' }), machine).aptSources).toBe('/etc/tsbit/debian.sources');
    expect(resolveBuilderSettings(readConfig(configSchema, {}), machine)).not.toHaveProperty('aptSources');
  });

  it('reads lists and refuses what cannot be part of a queue name', () => {
    const env = { TSBIT_BUILDER_ARCHES: 'amd64, i386', TSBIT_BUILDER_SUITES: 'bookworm,trixie', TSBIT_BUILDER_FORMATS: 'rpm' };
    expect(resolveBuilderSettings(readConfig(configSchema, env), machine)).toMatchObject({ arches: ['amd64', 'i386'], suites: ['bookworm', 'trixie'], formats: ['rpm'] });
    expect(() => resolveBuilderSettings(readConfig(configSchema, { TSBIT_BUILDER_ARCHES: 'amd64,#' }), machine)).toThrow(/TSBIT_BUILDER_ARCHES: "#"/);
    expect(() => resolveBuilderSettings(readConfig(configSchema, { TSBIT_BUILDER_FORMATS: 'msi' }), machine)).toThrow(/TSBIT_BUILDER_FORMATS: "msi"/);
    expect(() => readConfig(configSchema, { TSBIT_BUILDER_BACKEND: 'docker' })).toThrow(/TSBIT_BUILDER_BACKEND/);
  });

  it('passes nothing of the builder configuration, such as its token, to the build', () => {
    const env = buildEnvironment({ PATH: '/usr/bin', TSBIT_TOKEN: 'secret', TSBIT_API_URL: 'http://x' });
    expect(env).toEqual({ PATH: '/usr/bin', LC_ALL: 'C.UTF-8' });
  });
});

describe('build requests', () => {
  it('reads the canonical JSON of a BuildRequest', () => {
    const job = parseBuildRequest({ jobId: 7, attempt: 2, package: 'hello', suite: 'bookworm', arch: 'amd64', format: 'deb', source: { method: 'git', url: 'u', ref: 'r' } });
    expect(job).toMatchObject({ jobId: 7, attempt: 2, version: '', buildArchIndep: false, source: { method: 'git', url: 'u', ref: 'r' } });
    // From a scheduler before suite settings: no keyring (a dsc or apt build is then refused), no lintian.
    expect(job).toMatchObject({ keyrings: [], skipSignatureCheck: false, runLintian: false });
    const withSettings = parseBuildRequest({ jobId: 7, attempt: 2, keyrings: ['/usr/share/keyrings/debian-keyring.gpg'], skipSignatureCheck: false, runLintian: true });
    expect(withSettings).toMatchObject({ keyrings: ['/usr/share/keyrings/debian-keyring.gpg'], runLintian: true });
  });

  it('refuses messages that break the contract or name no job', () => {
    expect(() => parseBuildRequest({ jobId: 'seven' })).toThrow(MalformedRequest);
    expect(() => parseBuildRequest({ jobId: 7, attempt: 0 })).toThrow(/attempt/);
    expect(() => parseBuildRequest({ attempt: 1 })).toThrow(/jobId/);
  });
});
