import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeDebianPackageRepository, makeRpmPackageRepository, type PackageRepository } from './fixtures';
import { isFinished, startTestFarm, type JobView, type TestFarm } from './testing';

/** Asynchronous: the farm's gateway runs in this process, and the tools below fetch from it. */
const run = promisify(execFile);

/** A real, small Debian source package with a C program, signed by its maintainer. */
const HELLO_DSC = 'http://deb.debian.org/debian/pool/main/h/hello/hello_2.10-3.dsc';
const HELLO_VERSION = '2.10-3';
/** sbuild unpacks a chroot, installs build-dependencies from the archive, builds: about a minute each. */
const SBUILD_TIMEOUT_MS = 15 * 60_000;

describe('packages people can install: real sbuild builds, published into signed repositories', () => {
  let farm: TestFarm;
  const scratch = mkdtempSync(path.join(tmpdir(), 'tsbit-packages-'));
  const repositories: PackageRepository[] = [];

  beforeAll(async () => {
    farm = await startTestFarm({
      builders: ['sbuild-builder'],
      heartbeatMs: 1000,
      builderBackend: 'sbuild',
      builderArches: ['amd64', 'i386', 'arm64'],
      // An hour: a dependency wait that ends within the test was ended by the farm publishing, not by its back-off.
      dependencyWaitBackoffMs: 60 * 60_000,
    });
  }, 120_000);

  afterAll(async () => {
    await farm?.close();
    // dnf checks repomd.xml.asc with a keyring in its cache, and leaves that keyring's gpg-agent running.
    const keyrings = execFileSync('find', [scratch, '-type', 'd', '-name', 'pubring'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const home of keyrings) execFileSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent']);
    for (const repository of repositories) rmSync(repository.dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  const download = async (url: string, file: string): Promise<string> => {
    const response = await fetch(new URL(url, farm.farm.apiUrl));
    if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
    const target = path.join(scratch, file);
    writeFileSync(target, Buffer.from(await response.arrayBuffer()));
    return target;
  };
  const doneOrExplained = async (job: JobView): Promise<JobView> => {
    const finished = await farm.waitForJob(job.id, 'to finish', isFinished, SBUILD_TIMEOUT_MS);
    if (finished.status !== 'Done') throw new Error(`job ${job.id} (${job.arch}) ended ${finished.status}: ${JSON.stringify(finished.reason)}`);
    return finished;
  };
  /** Publishing follows success within seconds; a job is Done first. */
  const published = (job: JobView): Promise<JobView> => farm.waitForJob(job.id, 'to be published', (current) => Boolean(current.published));
  const debsOf = (job: JobView) => job.artifacts.filter((artifact) => artifact.kind === 'deb');

  test(
    "Debian's hello, by dsc for i386 and arm64 and by apt for amd64: every .deb is of its job's architecture, and the arm64 program is an aarch64 ELF that runs under qemu",
    async () => {
      const byDsc = await farm.submitJobs({
        package: 'hello',
        version: HELLO_VERSION,
        suite: 'bookworm',
        arch: 'i386,arm64',
        format: 'deb',
        source: { method: 'dsc', url: HELLO_DSC },
      });
      const byApt = await farm.submitJobs({ package: 'hello', version: HELLO_VERSION, suite: 'bookworm', arch: 'amd64', format: 'deb', source: { method: 'apt', ref: HELLO_VERSION } });

      for (const job of [...byDsc, ...byApt]) {
        const done = await doneOrExplained(job);
        const debs = debsOf(done);
        expect(debs.map((deb) => deb.name)).toContain(`hello_${HELLO_VERSION}_${done.arch}.deb`);
        for (const deb of debs) {
          const file = await download(deb.url, `${done.id}-${deb.name}`);
          expect([done.arch, 'all']).toContain(execFileSync('dpkg-deb', ['-f', file, 'Architecture'], { encoding: 'utf8' }).trim());
        }
        expect(done.inputs).toMatchObject({ backend: 'sbuild', mode: done.arch === 'arm64' ? 'cross' : 'native' });
        expect(done.inputs?.chrootSha256).toMatch(/^[0-9a-f]{64}$/);
        expect(done.inputs?.sourceFiles?.length).toBeGreaterThan(0);

        if (done.arch === 'arm64') {
          const deb = debs.find((artifact) => artifact.name.startsWith('hello_'));
          const root = path.join(scratch, 'hello-arm64');
          execFileSync('dpkg-deb', ['-x', await download(deb!.url, 'hello-arm64.deb'), root]);
          const program = path.join(root, 'usr', 'bin', 'hello');
          expect(execFileSync('file', ['--brief', program], { encoding: 'utf8' })).toMatch(/ELF 64-bit LSB .*ARM aarch64/);
          // The arm64 C library of Debian's cross toolchain, as qemu's root for the dynamic loader.
          expect(execFileSync('qemu-aarch64-static', ['-L', '/usr/aarch64-linux-gnu', program], { encoding: 'utf8' })).toBe('Hello, world!\n');
        }
      }
    },
    3 * SBUILD_TIMEOUT_MS,
  );

  test(
    "a package waiting for a build-dependency is released when the farm publishes it, builds against the farm's repository, and both install with apt-get from the farm's signed repository into a clean chroot",
    async () => {
      const dependency = makeDebianPackageRepository({ package: 'tsbit-e2e-greeting', version: '1.0' });
      const dependent = makeDebianPackageRepository({ package: 'tsbit-e2e-greeter', version: '1.0', buildDepends: ['tsbit-e2e-greeting'], depends: ['tsbit-e2e-greeting'] });
      repositories.push(dependency, dependent);

      const [waiting] = await farm.submitJobs(gitJob(dependent));
      const blocked = await farm.waitForJob(waiting!.id, 'to wait for its build-dependency', (job) => job.reason?.code === 'dependency_wait' || isFinished(job), SBUILD_TIMEOUT_MS);
      expect(blocked.reason?.message).toContain('tsbit-e2e-greeting');

      const [provider] = await farm.submitJobs(gitJob(dependency));
      await published(await doneOrExplained(provider!));
      const released = await published(await doneOrExplained(waiting!));
      expect(released.attempt).toBeGreaterThan(1);

      // A fresh system that knows Debian and the farm's repository (by its ready-made sources entry) installs both.
      const sources = await download('/repos/deb/bookworm.sources', 'tsbit.sources');
      const system = path.join(scratch, 'clean-system');
      await run(
        'mmdebstrap',
        [
          '--variant=apt',
          // Root mode: the test runs as root, and chroot below needs the files owned as installed.
          '--mode=root',
          '--format=directory',
          '--include=tsbit-e2e-greeter',
          // The entry carries the farm's key inline (Signed-By), so apt checks the farm's signature.
          `--setup-hook=cp ${sources} "$1/etc/apt/sources.list.d/tsbit.sources"`,
          'bookworm',
          system,
          'http://deb.debian.org/debian',
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      expect(execFileSync('chroot', [system, 'tsbit-e2e-greeting'], { encoding: 'utf8' })).toBe('Hello from tsbit\n');
    },
    3 * SBUILD_TIMEOUT_MS,
  );

  test(
    "an rpm built from a git checkout is published into a signed YUM repository that dnf reads",
    async () => {
      const repository = makeRpmPackageRepository({ package: 'tsbit-e2e-rpm', version: '1.0' });
      repositories.push(repository);
      const [job] = await farm.submitJobs({ ...gitJob(repository), format: 'rpm' });
      const done = await published(await doneOrExplained(job!));
      expect(done.artifacts.map((artifact) => artifact.name)).toEqual(expect.arrayContaining(['tsbit-e2e-rpm-1.0-1.noarch.rpm', 'tsbit-e2e-rpm-1.0-1.src.rpm']));

      // dnf as a user sets it up: the farm's ready .repo file, whose metadata signature it checks.
      expect(done.published?.setup).toBe('/repos/rpm/bookworm.repo');
      const dnfDir = path.join(scratch, 'dnf');
      mkdirSync(path.join(dnfDir, 'repos.d'), { recursive: true });
      await download(done.published!.setup, path.join('dnf', 'repos.d', 'tsbit.repo'));
      const { stdout: query } = await run(
        'dnf',
        [
          '--quiet', '--assumeyes', '--releasever=12', '--setopt=skip_if_unavailable=False',
          `--setopt=reposdir=${path.join(dnfDir, 'repos.d')}`, `--setopt=cachedir=${path.join(dnfDir, 'cache')}`,
          `--setopt=persistdir=${path.join(dnfDir, 'persist')}`, `--setopt=logdir=${dnfDir}`,
          'repoquery', '--queryformat', '%{name}-%{version}-%{release}.%{arch}', 'tsbit-e2e-rpm',
        ],
        { encoding: 'utf8' },
      );
      expect(query.trim()).toBe('tsbit-e2e-rpm-1.0-1.noarch');
    },
    SBUILD_TIMEOUT_MS,
  );
});

function gitJob(repository: PackageRepository): object {
  return {
    package: repository.package,
    version: repository.version,
    suite: 'bookworm',
    arch: 'amd64',
    format: 'deb',
    source: { method: 'git', url: repository.url, ref: 'main' },
  };
}
