import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Pool } from 'pg';
import { deserializeEvent, jobStreamId, publicationStreamId, type Artifact, type PackagePublished } from '@tsbit/domain';
import { PostgresEventLog } from '@tsbit/event-log';
import { Broker, PostgresRelayCheckpoints, startRelay, toEventMessage } from '@tsbit/messaging';
import { deleteAmqpObjects } from '@tsbit/messaging/testing';
import { createLogger, mintToken, waitFor, type StoredToken } from '@tsbit/service-kit';
import { createArtifactService } from '../app';
import { ContentStore } from '../store';
import { createRepositories, SigningKey, type Repositories } from './index';
import { run, runText } from './run';
import { AptClient, finishJob, kindOfFile, makeDeb, makeNativeSource, makeRpm, sha256File, startJob } from './testing';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const BUILDER = 'builder-1';
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

// Real packages, real apt and dnf runs: seconds each on two cores.
jest.setTimeout(180_000);

/**
 * Publishing into the signed APT and YUM repositories, checked with the real clients: apt-get
 * and apt-cache in a private configuration, dnf, gpgv. Packages are real, made here with
 * dpkg-deb, dpkg-source and rpmbuild; the service is reached over HTTP.
 */
describe('publishing into signed repositories', () => {
  const id = randomBytes(4).toString('hex');
  const schema = `pub_${id}`;
  const prefix = `pub-${id}`;
  const work = mkdtempSync(path.join(tmpdir(), 'tsbit-publish-'));
  const storeDir = path.join(work, 'store');
  let pool: Pool;
  let log: PostgresEventLog;
  let app: FastifyInstance;
  let baseUrl: string;
  let repositories: Repositories;
  let nextJob = 1;
  const tokens = new Map<string, StoredToken>();
  const minted = mintToken();
  tokens.set(minted.tokenId, { tokenId: minted.tokenId, name: 'builders', role: 'builder', secretSha256: minted.secretSha256, revoked: false });

  beforeAll(async () => {
    pool = new Pool({ connectionString: DATABASE_URL });
    log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema, pool });
    repositories = await createRepositories({
      repositoryDir: path.join(work, 'repos'),
      gnupgHome: path.join(work, 'gnupg'),
      publicUrl: 'http://placeholder.invalid',
      log,
      store: new ContentStore(storeDir),
      logger: createLogger('publish-test', 'silent'),
    });
    app = createArtifactService({ log, storeDir, tokens: async (tokenId) => tokens.get(tokenId), logger: createLogger('artifact-test', 'silent'), maxUploadBytes: 64 * 1024 * 1024, repositories: repositories.routes });
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    // The sources entries name the address clients reach the service at.
    repositories.routes.publicUrl = baseUrl;
  });
  afterAll(async () => {
    await app.close();
    await repositories.key.destroy();
    // dnf checks repomd.xml.asc with a keyring of its own in its cache, and leaves a gpg-agent there.
    const keyrings = await runText('find', [work, '-type', 'd', '-name', 'pubring']);
    for (const home of keyrings.split('\n').filter(Boolean)) await run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent']).catch(() => undefined);
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
    rmSync(work, { recursive: true, force: true });
  });

  /** Uploads files for a job's attempt as its builder does, over HTTP. */
  const upload = async (jobId: number, files: string[], builder = BUILDER): Promise<Artifact[]> => {
    const artifacts: Artifact[] = [];
    for (const file of files) {
      const body = readFileSync(file);
      const name = path.basename(file);
      const response = await fetch(`${baseUrl}/artifacts/jobs/${jobId}/attempts/1/${name}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${minted.token}`, 'content-type': 'application/octet-stream', 'x-tsbit-sha256': sha256(body), 'x-tsbit-builder': builder, 'x-tsbit-kind': kindOfFile(name) },
        body,
      });
      if (response.status !== 201 && response.status !== 200) throw new Error(`upload ${name}: ${response.status} ${await response.text()}`);
      artifacts.push({ name, sha256: sha256(body), size: String(body.length), kind: kindOfFile(name) });
    }
    return artifacts;
  };

  /** A whole build of `files` for `suite`: started, uploaded, succeeded; returns the job id. */
  const build = async (suite: string, format: 'deb' | 'rpm', files: string[], arch = 'amd64'): Promise<number> => {
    const jobId = nextJob;
    nextJob += 1;
    await startJob(log, jobId, { suite, format, arch, builder: BUILDER });
    const artifacts = await upload(jobId, files);
    await finishJob(log, jobId, BUILDER, artifacts);
    return jobId;
  };

  const publish = async (suite: string, format: 'deb' | 'rpm', files: string[], arch = 'amd64') => {
    const jobId = await build(suite, format, files, arch);
    const outcome = await repositories.publisher.publishBuild(jobId, 1);
    if (outcome.kind === 'nothing') throw new Error(outcome.reason);
    return { jobId, event: outcome.event };
  };

  const packagesDir = (name: string) => mkdtempSync(path.join(work, `${name}-`));
  const keyring = async (): Promise<string> => {
    const file = path.join(work, `key-${randomBytes(3).toString('hex')}.gpg`);
    writeFileSync(file, Buffer.from(await (await fetch(`${baseUrl}/repos/key.gpg`)).arrayBuffer()));
    return file;
  };
  const fetchText = async (url: string): Promise<string> => {
    const response = await fetch(`${baseUrl}${url}`);
    if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
    return response.text();
  };

  describe('APT', () => {
    it('publishes real .debs into a signed repository that apt-get verifies, and a newer version replaces the older one', async () => {
      const dir = packagesDir('apt');
      const first = await publish('bookworm', 'deb', [await makeDeb(dir, { name: 'hello-tsbit', version: '1.0', arch: 'amd64' }), await makeDeb(dir, { name: 'hello-tsbit-data', version: '1.0', arch: 'all', source: 'hello-tsbit' })]);
      expect(first.event.data).toMatchObject({
        suite: 'bookworm',
        format: 'deb',
        repository: '/repos/deb',
        packages: [
          { name: 'hello-tsbit', version: '1.0', arch: 'amd64', filename: 'pool/main/h/hello-tsbit/hello-tsbit_1.0_amd64.deb' },
          { name: 'hello-tsbit-data', version: '1.0', arch: 'all', filename: 'pool/main/h/hello-tsbit/hello-tsbit-data_1.0_all.deb' },
        ],
      });
      expect((await log.readStream(publicationStreamId(first.jobId))).map((event) => event.type)).toEqual(['PackagePublished']);

      // The Release names every index with checksums that match, and is signed both ways.
      const release = await fetchText('/repos/deb/dists/bookworm/Release');
      for (const fieldLine of ['Suite: bookworm', 'Codename: bookworm', 'Components: main', 'Architectures: amd64', 'Acquire-By-Hash: yes']) expect(release).toContain(fieldLine);
      expect(release).toMatch(/^Date: .+ UTC$/m);
      expect(release).toMatch(/^MD5Sum:$/m);
      const sha256Lines = release.slice(release.indexOf('SHA256:')).split('\n').slice(1).filter((line) => line.startsWith(' '));
      expect(sha256Lines.map((line) => line.trim().split(/\s+/)[2])).toEqual(['main/binary-amd64/Packages', 'main/binary-amd64/Packages.gz', 'main/binary-amd64/Packages.xz']);
      for (const line of sha256Lines) {
        const [hash, size, name] = line.trim().split(/\s+/);
        const body = Buffer.from(await (await fetch(`${baseUrl}/repos/deb/dists/bookworm/${name}`)).arrayBuffer());
        expect({ name, hash: sha256(body), size: String(body.length) }).toEqual({ name, hash, size });
      }
      const keys = await keyring();
      const dists = path.join(work, 'dists-copy');
      rmSync(dists, { recursive: true, force: true });
      await run('mkdir', ['-p', dists]);
      for (const name of ['InRelease', 'Release', 'Release.gpg']) writeFileSync(path.join(dists, name), Buffer.from(await (await fetch(`${baseUrl}/repos/deb/dists/bookworm/${name}`)).arrayBuffer()));
      await run('gpgv', ['--keyring', keys, path.join(dists, 'InRelease')]);
      await run('gpgv', ['--keyring', keys, path.join(dists, 'Release.gpg'), path.join(dists, 'Release')]);

      // A client with the served deb822 entry (key inline), one with the one-line entry and the
      // key as a trusted keyring, and one that trusts nothing.
      const sourcesEntry = await fetchText('/repos/deb/bookworm.sources');
      expect(sourcesEntry).toContain(`URIs: ${baseUrl}/repos/deb`);
      expect(sourcesEntry).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----');
      const inline = new AptClient(path.join(work, 'apt-inline'), { sourcesEntry });
      const listLine = await fetchText('/repos/deb/bookworm.list');
      expect(listLine).toContain(`deb [signed-by=/etc/apt/keyrings/tsbit.gpg] ${baseUrl}/repos/deb bookworm main`);
      const trusted = new AptClient(path.join(work, 'apt-trusted'), { listLine: `deb ${baseUrl}/repos/deb bookworm main\n`, trustedKeyring: keys });
      const untrusting = new AptClient(path.join(work, 'apt-untrusting'), { listLine: `deb ${baseUrl}/repos/deb bookworm main\n` });

      for (const client of [inline, trusted]) {
        const update = await client.update();
        expect(update).toMatchObject({ ok: true });
        expect(await client.candidate('hello-tsbit')).toBe('1.0');
        expect(await client.candidate('hello-tsbit-data')).toBe('1.0');
      }
      const refused = await untrusting.update();
      expect(refused.ok).toBe(false);
      expect(refused.output).toMatch(/NO_PUBKEY|not signed/);
      expect(await untrusting.candidate('hello-tsbit')).toBeUndefined();

      // apt-get download checks the pool file against the index.
      const downloaded = path.join(work, 'downloaded');
      await inline.download('hello-tsbit', downloaded);
      expect(sha256File(path.join(downloaded, 'hello-tsbit_1.0_amd64.deb'))).toBe(first.event.data.packages[0] && sha256File(path.join(work, 'repos', 'deb', first.event.data.packages[0].filename)));

      await publish('bookworm', 'deb', [await makeDeb(dir, { name: 'hello-tsbit', version: '1.1', arch: 'amd64' })]);
      expect(await inline.update()).toMatchObject({ ok: true });
      expect(await inline.candidate('hello-tsbit')).toBe('1.1');
      expect(await inline.versions('hello-tsbit')).toEqual(['1.1']);
      // The package the newer build did not touch is still there.
      expect(await inline.candidate('hello-tsbit-data')).toBe('1.0');

      // An older version built later is stored but not indexed, and the event lists nothing.
      const older = await publish('bookworm', 'deb', [await makeDeb(dir, { name: 'hello-tsbit', version: '1.0~rc1', arch: 'amd64' })]);
      expect(older.event.data.packages).toEqual([]);
      expect(await inline.update()).toMatchObject({ ok: true });
      expect(await inline.versions('hello-tsbit')).toEqual(['1.1']);
    });

    it('publishes an uploaded source package into Sources', async () => {
      const dir = packagesDir('source');
      const [dsc, tarball] = await makeNativeSource(dir, { name: 'srcpkg', version: '2.0' });
      const { event } = await publish('bookworm', 'deb', [dsc as string, tarball as string, await makeDeb(dir, { name: 'srcpkg', version: '2.0', arch: 'all' })]);
      expect(event.data.packages).toEqual(
        expect.arrayContaining([
          { name: 'srcpkg', version: '2.0', arch: 'source', filename: 'pool/main/s/srcpkg/srcpkg_2.0.dsc' },
          { name: 'srcpkg', version: '2.0', arch: 'all', filename: 'pool/main/s/srcpkg/srcpkg_2.0_all.deb' },
        ]),
      );
      const sources = await fetchText('/repos/deb/dists/bookworm/main/source/Sources');
      expect(sources).toContain('Package: srcpkg\n');
      expect(sources).toContain('Directory: pool/main/s/srcpkg\n');
      const client = new AptClient(path.join(work, 'apt-source'), { listLine: `deb-src ${baseUrl}/repos/deb bookworm main\ndeb ${baseUrl}/repos/deb bookworm main\n`, trustedKeyring: await keyring() });
      expect(await client.update()).toMatchObject({ ok: true });
      expect(await client.sourceVersions('srcpkg')).toEqual(['2.0']);
      expect(await client.candidate('srcpkg')).toBe('2.0');
    });

    it('adds a package without reading the pool, and leaves the indices of other architectures as they were', async () => {
      const dir = packagesDir('incremental');
      await publish('incr', 'deb', [await makeDeb(dir, { name: 'armonly', version: '1.0', arch: 'arm64' })], 'arm64');
      const first = await publish('incr', 'deb', [await makeDeb(dir, { name: 'first', version: '1.0', arch: 'amd64' })]);
      const armIndex = path.join(work, 'repos', 'deb', 'dists', 'incr', 'main', 'binary-arm64', 'Packages');
      const armInode = statSync(armIndex).ino;
      // The pool file of an indexed package is gone: a publish that rescanned the pool would drop it.
      await rm(path.join(work, 'repos', 'deb', first.event.data.packages[0]?.filename ?? ''));
      await publish('incr', 'deb', [await makeDeb(dir, { name: 'second', version: '1.0', arch: 'amd64' })]);
      const packages = await fetchText('/repos/deb/dists/incr/main/binary-amd64/Packages');
      expect([...packages.matchAll(/^Package: (\S+)$/gm)].map((match) => match[1]).sort()).toEqual(['first', 'second']);
      expect(statSync(armIndex).ino).toBe(armInode);
      // The chunked .gz and .xz hold exactly the plain index (xz read as apt reads it: one stream).
      const fetchBytes = async (name: string) => Buffer.from(await (await fetch(`${baseUrl}/repos/deb/dists/incr/main/binary-amd64/${name}`)).arrayBuffer());
      expect((await run('gzip', ['--decompress', '--stdout'], { input: await fetchBytes('Packages.gz') })).toString('utf8')).toBe(packages);
      expect((await run('xz', ['--decompress', '--stdout', '--single-stream'], { input: await fetchBytes('Packages.xz') })).toString('utf8')).toBe(packages);
      expect(await fetchText('/repos/deb/dists/incr/Release')).toContain('Architectures: amd64 arm64');
    });

    it('never lets a reader see an index that names a missing file, or a Release whose hashes do not match, while it publishes', async () => {
      const dir = packagesDir('atomic');
      await publish('atomic', 'deb', [await makeDeb(dir, { name: 'racer', version: '1.0', arch: 'amd64' })]);
      const keys = await keyring();
      const problems: string[] = [];
      let checks = 0;
      let publishing = true;
      /** What apt does: the InRelease, then each index by the hash it names, then the packages the index names. */
      const reader = async (): Promise<void> => {
        while (publishing) {
          const inRelease = await fetchText('/repos/deb/dists/atomic/InRelease');
          const release = inRelease.slice(inRelease.indexOf('\n\n') + 2);
          const sha256s = release.slice(release.indexOf('SHA256:')).split('\n').slice(1).filter((line) => line.startsWith(' '));
          for (const line of sha256s) {
            const [hash, size, name] = line.trim().split(/\s+/) as [string, string, string];
            const response = await fetch(`${baseUrl}/repos/deb/dists/atomic/${path.posix.dirname(name)}/by-hash/SHA256/${hash}`);
            const body = Buffer.from(await response.arrayBuffer());
            if (response.status !== 200 || sha256(body) !== hash || String(body.length) !== size) problems.push(`${name}: ${response.status}, sha256 ${sha256(body)} for ${hash}`);
            if (path.posix.basename(name) !== 'Packages' || response.status !== 200) continue;
            for (const match of body.toString('utf8').matchAll(/^Filename: (\S+)$\n^Size: (\d+)$/gm)) {
              const pool = await fetch(`${baseUrl}/repos/deb/${match[1]}`);
              const bytes = Buffer.from(await pool.arrayBuffer());
              if (pool.status !== 200 || String(bytes.length) !== match[2]) problems.push(`${match[1]}: ${pool.status}, ${bytes.length} bytes`);
            }
          }
          checks += 1;
        }
      };
      const client = new AptClient(path.join(work, 'apt-atomic'), { listLine: `deb ${baseUrl}/repos/deb atomic main\n`, trustedKeyring: keys });
      const aptUpdates: { ok: boolean; output: string }[] = [];
      const aptReader = async (): Promise<void> => {
        while (publishing) aptUpdates.push(await client.update());
      };
      const readers = [reader(), reader(), aptReader()];
      for (let version = 1; version <= 12; version += 1) {
        await publish('atomic', 'deb', [await makeDeb(dir, { name: 'racer', version: `1.${version}`, arch: 'amd64' }), await makeDeb(dir, { name: `extra${version}`, version: '1.0', arch: 'all' })]);
      }
      publishing = false;
      await Promise.all(readers);
      expect(problems).toEqual([]);
      expect(checks).toBeGreaterThan(0);
      expect(aptUpdates.length).toBeGreaterThan(0);
      expect(aptUpdates.filter((update) => !update.ok)).toEqual([]);
      expect(await client.update()).toMatchObject({ ok: true });
      expect(await client.candidate('racer')).toBe('1.12');
    });
  });

  describe('YUM', () => {
    it('publishes rpms with createrepo_c into a repository with a signed repomd.xml that dnf reads, newest version only', async () => {
      const dir = packagesDir('rpm');
      const first = await publish('bookworm', 'rpm', [await makeRpm(dir, { name: 'tiny-tsbit', version: '1.0' })]);
      expect(first.event.data).toMatchObject({
        format: 'rpm',
        repository: '/repos/rpm/bookworm',
        packages: [{ name: 'tiny-tsbit', version: '1.0-1', arch: 'noarch', filename: 'x86_64/packages/tiny-tsbit-1.0-1.noarch.rpm' }],
      });

      const keys = await keyring();
      const repodata = path.join(work, 'repodata-copy');
      await run('mkdir', ['-p', repodata]);
      for (const name of ['repomd.xml', 'repomd.xml.asc']) writeFileSync(path.join(repodata, name), Buffer.from(await (await fetch(`${baseUrl}/repos/rpm/bookworm/x86_64/repodata/${name}`)).arrayBuffer()));
      await run('gpgv', ['--keyring', keys, path.join(repodata, 'repomd.xml.asc'), path.join(repodata, 'repomd.xml')]);

      // dnf with the served .repo file: $basearch resolves to this machine's, the repomd.xml signature is checked.
      const repoFile = await fetchText('/repos/rpm/bookworm.repo');
      expect(repoFile).toContain(`baseurl=${baseUrl}/repos/rpm/bookworm/$basearch/`);
      expect(repoFile).toContain('repo_gpgcheck=1');
      const dnfDir = path.join(work, 'dnf');
      await run('mkdir', ['-p', path.join(dnfDir, 'repos.d')]);
      writeFileSync(path.join(dnfDir, 'repos.d', 'tsbit.repo'), repoFile);
      const query = () =>
        runText('dnf', [
          '-q', '-y', '--releasever=12', '--setopt=skip_if_unavailable=False', `--setopt=reposdir=${path.join(dnfDir, 'repos.d')}`, `--setopt=cachedir=${path.join(dnfDir, 'cache')}`,
          `--setopt=persistdir=${path.join(dnfDir, 'persist')}`, `--setopt=logdir=${dnfDir}`, '--refresh', 'repoquery', '--qf', '%{name}-%{version}-%{release}.%{arch}', 'tiny-tsbit',
        ]);
      expect((await query()).trim().split('\n')).toEqual(['tiny-tsbit-1.0-1.noarch']);
      // The same .repo trusting another key: dnf refuses the repository's metadata.
      const stranger = await SigningKey.create({ gnupgHome: path.join(work, 'stranger-gnupg') });
      writeFileSync(path.join(work, 'stranger.asc'), stranger.publicKeyArmored);
      await stranger.destroy();
      const strangerDir = path.join(work, 'dnf-stranger');
      await run('mkdir', ['-p', path.join(strangerDir, 'repos.d')]);
      writeFileSync(path.join(strangerDir, 'repos.d', 'tsbit.repo'), repoFile.replace(/^gpgkey=.*$/m, `gpgkey=file://${path.join(work, 'stranger.asc')}`));
      await expect(
        runText('dnf', [
          '-q', '-y', '--releasever=12', '--setopt=skip_if_unavailable=False', `--setopt=reposdir=${path.join(strangerDir, 'repos.d')}`, `--setopt=cachedir=${path.join(strangerDir, 'cache')}`,
          `--setopt=persistdir=${path.join(strangerDir, 'persist')}`, `--setopt=logdir=${strangerDir}`, '--refresh', 'repoquery', 'tiny-tsbit',
        ]),
      ).rejects.toThrow(/repomd.xml GPG signature verification error: Bad GPG signature/);

      await publish('bookworm', 'rpm', [await makeRpm(dir, { name: 'tiny-tsbit', version: '1.1' })]);
      expect((await query()).trim().split('\n')).toEqual(['tiny-tsbit-1.1-1.noarch']);
      const older = await publish('bookworm', 'rpm', [await makeRpm(dir, { name: 'tiny-tsbit', version: '0.9' })]);
      expect(older.event.data.packages).toEqual([]);
      expect((await query()).trim().split('\n')).toEqual(['tiny-tsbit-1.1-1.noarch']);
      // The primary metadata the served repomd.xml names (earlier ones stay beside it for a while).
      const repomd = await fetchText('/repos/rpm/bookworm/x86_64/repodata/repomd.xml');
      const primaryHref = /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd)?.[1] ?? '';
      const primary = await runText('zcat', [path.join(work, 'repos', 'rpm', 'bookworm', 'x86_64', primaryHref)]);
      expect([...primary.matchAll(/<location href="([^"]+)"/g)].map((match) => match[1])).toEqual(['packages/tiny-tsbit-1.1-1.noarch.rpm']);
    });
  });

  describe('what is published, and when', () => {
    it('publishes nothing for a failed build', async () => {
      const dir = packagesDir('failed');
      const jobId = nextJob;
      nextJob += 1;
      await startJob(log, jobId, { suite: 'failed', format: 'deb', arch: 'amd64', builder: BUILDER });
      const artifacts = await upload(jobId, [await makeDeb(dir, { name: 'broken', version: '1.0', arch: 'amd64' })]);
      await finishJob(log, jobId, BUILDER, artifacts, 'failed');
      expect(await repositories.publisher.publishBuild(jobId, 1)).toMatchObject({ kind: 'nothing', reason: `attempt 1 of job ${jobId} did not succeed` });
      expect(await log.readStream(publicationStreamId(jobId))).toEqual([]);
      expect((await fetch(`${baseUrl}/repos/deb/dists/failed/Release`)).status).toBe(404);
      expect((await fetch(`${baseUrl}/repos/deb/failed.sources`)).status).toBe(404);
    });

    it('publishes nothing for a rebuild check: its packages are compared with the original, not released', async () => {
      const dir = packagesDir('check');
      const jobId = nextJob;
      nextJob += 1;
      await startJob(log, jobId, { suite: 'check', format: 'deb', arch: 'amd64', builder: BUILDER, rebuildOf: 1 });
      const artifacts = await upload(jobId, [await makeDeb(dir, { name: 'checked', version: '1.0', arch: 'amd64' })]);
      await finishJob(log, jobId, BUILDER, artifacts);
      expect(await repositories.publisher.publishBuild(jobId, 1)).toMatchObject({ kind: 'nothing', reason: `job ${jobId} is a rebuild check of job 1` });
      expect(await log.readStream(publicationStreamId(jobId))).toEqual([]);
      expect((await fetch(`${baseUrl}/repos/deb/dists/check/Release`)).status).toBe(404);
    });

    it('publishes builds of one suite that succeed together, each once, one refused without harm to the others', async () => {
      const dir = packagesDir('together');
      const jobs: number[] = [];
      for (let index = 0; index < 8; index += 1) jobs.push(await build('together', 'deb', [await makeDeb(dir, { name: `together${index}`, version: '1.0', arch: 'amd64' })]));
      // A .deb whose control names no valid package: refused for its job alone.
      const brokenDir = path.join(dir, 'broken');
      await run('mkdir', ['-p', path.join(brokenDir, 'DEBIAN')]);
      writeFileSync(path.join(brokenDir, 'DEBIAN', 'control'), 'Package: Not_Valid\nVersion: 1.0\nArchitecture: amd64\nMaintainer: t <t@t.invalid>\nDescription: x\n');
      await run('dpkg-deb', ['--build', '--nocheck', brokenDir, path.join(dir, 'broken_1.0_amd64.deb')]);
      const broken = await build('together', 'deb', [path.join(dir, 'broken_1.0_amd64.deb')]);
      const outcomes = await Promise.allSettled([...jobs, broken].map((jobId) => repositories.publisher.publishBuild(jobId, 1)));
      expect(outcomes.slice(0, 8).map((outcome) => outcome.status)).toEqual(Array(8).fill('fulfilled'));
      expect(outcomes[8]).toMatchObject({ status: 'rejected', reason: { name: 'PublishRefused', message: expect.stringContaining('Package "Not_Valid"') } });
      const packages = await fetchText('/repos/deb/dists/together/main/binary-amd64/Packages');
      expect([...packages.matchAll(/^Package: (\S+)$/gm)].map((match) => match[1]).sort()).toEqual(jobs.map((_, index) => `together${index}`));
    });

    it('writes one generation for all the publishes of a suite that arrive while one is being written', async () => {
      const dir = packagesDir('batched');
      const debs = await Promise.all([0, 1, 2, 3, 4].map((index) => makeDeb(dir, { name: `batched${index}`, version: '1.0', arch: 'amd64' })));
      // All asked for at once: the first is written alone, the four that wait for it together.
      await Promise.all(debs.map((file) => repositories.apt.publish({ suite: 'batched', arch: 'amd64', binaries: [{ name: path.basename(file), path: file, sha256: sha256File(file), size: statSync(file).size }] })));
      expect(path.basename(await readlink(path.join(work, 'repos', 'deb', 'dists', 'batched')))).toBe('0000000002');
      const packages = await fetchText('/repos/deb/dists/batched/main/binary-amd64/Packages');
      expect([...packages.matchAll(/^Package: (\S+)$/gm)].map((match) => match[1]).sort()).toEqual(['batched0', 'batched1', 'batched2', 'batched3', 'batched4']);
    });

    it('publishes each BuildSucceeded the relay delivers from RabbitMQ once, however often it is delivered', async () => {
      const broker = await Broker.create({ url: AMQP_URL, prefix, name: `publish-test-${id}` });
      const consumer = await repositories.consume(broker);
      const checkpoints = await PostgresRelayCheckpoints.create({ pool, schema, name: 'relay' });
      const relay = await startRelay({ log, broker, checkpoints });
      try {
        const dir = packagesDir('relay');
        const jobId = await build('relayed', 'deb', [await makeDeb(dir, { name: 'relayed', version: '1.0', arch: 'amd64' })]);
        const published = await waitFor('PackagePublished', async () => (await log.readStream(publicationStreamId(jobId)))[0], { timeoutMs: 30_000 });
        expect((deserializeEvent(published.type, published.data) as PackagePublished).data.packages).toMatchObject([{ name: 'relayed', version: '1.0' }]);
        const generation = await readlink(path.join(work, 'repos', 'deb', 'dists', 'relayed'));

        // The relay's at-least-once delivery, twice more: the same message id and body.
        const succeeded = (await log.readStream(jobStreamId(jobId))).find((event) => event.type === 'BuildSucceeded');
        for (let again = 0; again < 2; again += 1) {
          await broker.publish(broker.names.events, 'job.BuildSucceeded', toEventMessage(succeeded!), { messageId: `${jobStreamId(jobId)}:${succeeded!.version}` });
        }
        // A marker behind the repeats on the same queue: once it is published, the repeats were handled.
        const marker = await build('relayed', 'deb', [await makeDeb(dir, { name: 'marker', version: '1.0', arch: 'amd64' })]);
        await waitFor('the marker published', async () => (await log.readStream(publicationStreamId(marker))).length > 0, { timeoutMs: 30_000 });
        expect((await log.readStream(publicationStreamId(jobId))).map((event) => event.type)).toEqual(['PackagePublished']);
        const afterMarker = await readlink(path.join(work, 'repos', 'deb', 'dists', 'relayed'));
        // One generation for the marker, none for the repeats.
        expect(Number(path.basename(afterMarker))).toBe(Number(path.basename(generation)) + 1);
      } finally {
        await relay.stop();
        await consumer.cancel();
        await broker.close();
        await deleteAmqpObjects(AMQP_URL, {
          queues: [`${prefix}.artifact.publish`, `${prefix}.artifact.publish.retry`, `${prefix}.dead-letters`],
          exchanges: ['events', 'builds', 'reports', 'control', 'dead-letter'].map((name) => `${prefix}.${name}`),
        });
      }
    });
  });
});
