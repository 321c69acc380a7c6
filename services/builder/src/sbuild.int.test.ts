import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, createReadStream, lchownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { Broker, buildRoutingKey, topologyNames } from '@tsbit/messaging';
import { deleteAmqpObjects } from '@tsbit/messaging/testing';
import { waitFor } from '@tsbit/service-kit';
import { startTestApi, type TestApi } from './testing/fake-api';
import { makeCProgramTree } from './testing/arch-package';
import { gitCommitAll, makeDsc } from './testing/fixtures';

/**
 * The sbuild back end for real: the builder process itself runs as the unprivileged build user
 * (as `npm start` runs it), takes requests from RabbitMQ, and builds a tiny C package with sbuild
 * in unshare mode for amd64 and i386 (native chroots) and arm64 (cross-built), against the
 * chroots tools/prerequisites.sh makes. Needs that script to have run: the build user
 * `tsbit-build` with its subuid/subgid ranges and its chroot tarballs.
 */
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const BUILD_USER = process.env.TSBIT_BUILD_USER ?? 'tsbit-build';
const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');
/** Three sbuild runs side by side; each unpacks a chroot and installs debhelper from the mirror. */
const BUILDS_TIMEOUT_MS = 15 * 60_000;
const ARCHES = ['amd64', 'i386', 'arm64'] as const;
const CHROOTS = ['bookworm-amd64.tar', 'bookworm-i386.tar', 'bookworm-amd64-cross-arm64.tar'];
const ELF_MACHINE = { amd64: 62, i386: 3, arm64: 183 } as const;

type Report = { builder: string } & Record<string, unknown>;
type Ids = { jobId: number; attempt: number };

function buildUser(): { uid: number; gid: number; home: string } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${BUILD_USER}:`));
  const [, , uid, gid, , home] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined || home === undefined) throw new Error(`no build user ${BUILD_USER}: run sudo tools/prerequisites.sh`);
  return { uid: Number(uid), gid: Number(gid), home };
}

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  // lchown: the chroot links stay links to the build user's own tarballs.
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) lchownSync(path.join(entry.parentPath, entry.name), uid, gid);
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('sbuild builds, by a builder running as the build user', () => {
  const id = randomBytes(4).toString('hex');
  const prefix = `test-sbuild-${id}`;
  const names = topologyNames(prefix);
  const name = `sbuild-${id}`;
  const user = buildUser();
  const scratch = mkdtempSync(path.join(tmpdir(), 'tsbit-sbuild-'));
  const workDir = path.join(scratch, 'work');
  /** The chroots as the builder sees them (TSBIT_CHROOT_DIR): links to the build user's, so that the test can take one away. */
  const chrootDir = path.join(scratch, 'chroots');
  const sourceChroots = path.join(user.home, '.cache', 'sbuild');
  const reports: Report[] = [];
  const output: string[] = [];
  let broker: Broker;
  let api: TestApi;
  let builder: ChildProcess | undefined;
  let jobIds = Math.floor(Math.random() * 100_000) * 10;

  beforeAll(async () => {
    mkdirSync(workDir);
    mkdirSync(chrootDir);
    for (const chroot of CHROOTS) symlinkSync(path.join(sourceChroots, chroot), path.join(chrootDir, chroot));
    chownTree(scratch, user.uid, user.gid);
    api = await startTestApi();
    broker = await Broker.create({ url: AMQP_URL, prefix, name: 'sbuild-test', logger: pino({ level: 'silent' }) });
    await broker.consume({
      queue: names.reportsQueue,
      bindings: [{ exchange: names.reports, routingKey: 'report' }],
      prefetch: 100,
      handler: async ({ body }: { body: unknown }) => {
        reports.push(body as Report);
      },
    });
  });

  afterAll(async () => {
    if (builder && builder.exitCode === null && builder.signalCode === null) {
      builder.kill('SIGTERM');
      await new Promise((resolve) => builder?.once('exit', resolve));
    }
    await broker.close();
    const queues = ARCHES.map((arch) => names.buildQueue(buildRoutingKey({ format: 'deb', suite: 'bookworm', arch })));
    await deleteAmqpObjects(AMQP_URL, {
      queues: [...queues, ...queues.map((queue) => `${queue}.retry`), names.reportsQueue, `${names.reportsQueue}.retry`],
      exchanges: [names.builds, names.reports, names.control],
    });
    await api.close();
    rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  /** The builder's own entry point, as tools/farm starts it: a process of the build user. */
  const startBuilder = (): ChildProcess => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/builder/src/main.ts'], {
      cwd: REPOSITORY_ROOT,
      uid: user.uid,
      gid: user.gid,
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: user.home,
        USER: BUILD_USER,
        LOGNAME: BUILD_USER,
        TSBIT_AMQP_URL: AMQP_URL,
        TSBIT_AMQP_PREFIX: prefix,
        TSBIT_API_URL: api.url,
        TSBIT_TOKEN: api.token,
        TSBIT_BUILDER_NAME: name,
        TSBIT_BUILDER_ARCHES: ARCHES.join(','),
        TSBIT_BUILDER_FORMATS: 'deb',
        TSBIT_BUILDER_BACKEND: 'sbuild',
        TSBIT_BUILDER_SLOTS: String(ARCHES.length),
        TSBIT_BUILDER_WORKDIR: workDir,
        TSBIT_CHROOT_DIR: chrootDir,
        TSBIT_BUILDER_KEEP_FAILED: 'false',
        TSBIT_HEARTBEAT_MS: '1000',
        TSBIT_HELLO_EVERY: '2',
        TSBIT_PORT: '0',
        TSBIT_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (line) => output.push(line));
    return child;
  };

  const request = (arch: string, source: { method: string; url: string; ref: string }, pkg: string) => ({
    jobId: ++jobIds,
    attempt: 1,
    package: pkg,
    version: '1.0',
    suite: 'bookworm',
    dist: 'debian',
    arch,
    format: 'deb',
    env: '',
    source,
    buildArchIndep: arch === 'amd64',
    queuedAt: new Date().toISOString(),
    // The test's .dsc is not signed; signature checks are tested with the sources.
    skipSignatureCheck: true,
  });
  const publish = async (body: ReturnType<typeof request>): Promise<void> => {
    api.jobs.set(body.jobId, { status: 'Waiting', attempt: 1 });
    await broker.publish(names.builds, buildRoutingKey({ format: 'deb', suite: 'bookworm', arch: body.arch }), body, { messageId: `job-${body.jobId}:1` });
  };
  const reportOf = (kind: string, { jobId, attempt }: Ids): Record<string, unknown> | undefined =>
    reports.map((report) => report[kind] as (Ids & Record<string, unknown>) | undefined).find((data) => data?.jobId === jobId && data.attempt === attempt);
  const finalReport = (ids: Ids) =>
    waitFor(`a final report for job ${ids.jobId}`, () => ['succeeded', 'failed', 'cancelled'].map((kind) => ({ kind, data: reportOf(kind, ids) })).find((found) => found.data), {
      timeoutMs: BUILDS_TIMEOUT_MS,
      intervalMs: 1000,
    });
  /** The C library a program was built against, from the chroot it was built in: the host has none for i386 or arm64. */
  const sysrootOf = (arch: 'i386' | 'arm64'): string => {
    const sysroot = path.join(scratch, `sysroot-${arch}`);
    const [tarball, triplet, loader] = arch === 'i386' ? ['bookworm-i386.tar', 'i386-linux-gnu', 'ld-linux.so.2'] : ['bookworm-amd64-cross-arm64.tar', 'aarch64-linux-gnu', 'ld-linux-aarch64.so.1'];
    mkdirSync(sysroot, { recursive: true });
    execFileSync('tar', ['--extract', `--file=${path.join(sourceChroots, tarball)}`, `--directory=${sysroot}`, `./usr/lib/${triplet}/libc.so.6`, `./usr/lib/${triplet}/${loader}`, `./usr/lib/${loader}`, './lib']);
    return sysroot;
  };
  /** amd64 and i386 programs run on this CPU (i386 through its own loader), arm64 ones under qemu-aarch64-static. */
  const runProgram = (arch: (typeof ARCHES)[number], program: string): string => {
    if (arch === 'amd64') return execFileSync(program, { encoding: 'utf8' });
    const sysroot = sysrootOf(arch);
    if (arch === 'i386') {
      const libraries = path.join(sysroot, 'usr', 'lib', 'i386-linux-gnu');
      return execFileSync(path.join(libraries, 'ld-linux.so.2'), ['--library-path', libraries, program], { encoding: 'utf8' });
    }
    return execFileSync('qemu-aarch64-static', [program], { encoding: 'utf8', env: { ...process.env, QEMU_LD_PREFIX: sysroot } });
  };
  const uploaded = (jobId: number, suffix: string) => api.uploads.filter((upload) => upload.jobId === jobId && upload.name.endsWith(suffix));

  it(
    'advertises amd64 and i386 as native and arm64 as cross, builds each with a .deb of its arch whose program runs (arm64 under qemu-aarch64-static), records the inputs, and fails as the builder\'s fault once a chroot is gone',
    async () => {
      builder = startBuilder();
      const hello = await waitFor('the builder\'s hello', () => reports.find((report) => report.builder === name && report.hello)?.hello as Record<string, unknown> | undefined, {
        timeoutMs: 60_000,
      }).catch((error: Error) => {
        throw new Error(`${error.message}\n${output.join('\n')}`);
      });
      expect(hello).toMatchObject({
        arches: ['amd64', 'i386', 'arm64'],
        archSupport: [
          { arch: 'amd64', suite: 'bookworm', mode: 'native', chroot: 'bookworm-amd64.tar' },
          { arch: 'i386', suite: 'bookworm', mode: 'native', chroot: 'bookworm-i386.tar' },
          { arch: 'arm64', suite: 'bookworm', mode: 'cross', chroot: 'bookworm-amd64-cross-arm64.tar' },
        ],
        unavailable: [],
      });

      // One tree, from git for amd64 and as a .dsc for the others: both ways of recording the source.
      const parent = path.join(scratch, 'sources');
      mkdirSync(parent);
      const tree = makeCProgramTree({ package: `tsbit-hello-${id}`, root: parent });
      const dsc = makeDsc(tree);
      const git = gitCommitAll(tree.dir);
      chownTree(scratch, user.uid, user.gid);
      const jobs = {
        amd64: request('amd64', { method: 'git', url: git, ref: 'main' }, tree.package),
        i386: request('i386', { method: 'dsc', url: dsc, ref: '' }, tree.package),
        arm64: request('arm64', { method: 'dsc', url: dsc, ref: '' }, tree.package),
      };
      for (const arch of ARCHES) await publish(jobs[arch]);

      for (const arch of ARCHES) {
        const job = jobs[arch];
        const final = await finalReport(job);
        const log = uploaded(job.jobId, 'build.log')[0]?.content.toString('utf8') ?? '';
        expect({ arch, kind: final.kind, message: final.data?.message }).toEqual({ arch, kind: 'succeeded', message: undefined });
        expect(reportOf('started', job)?.mode).toBe(arch === 'arm64' ? 'cross' : 'native');
        expect(log).toContain(arch === 'arm64' ? '--host=arm64' : `--arch=${arch}`);

        const inputs = final.data?.inputs as Record<string, unknown>;
        expect(inputs).toMatchObject({
          backend: 'sbuild',
          backendVersion: expect.stringMatching(/^sbuild \(Debian sbuild\) /) as string,
          chroot: CHROOTS[ARCHES.indexOf(arch)],
          chrootSha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
          mode: arch === 'arm64' ? 'cross' : 'native',
          buildinfo: `${tree.package}_1.0_${arch}.buildinfo`,
        });
        if (arch === 'amd64') expect(inputs).toMatchObject({ sourceRevision: expect.stringMatching(/^[0-9a-f]{40}$/) as string, sourceFiles: [] });
        else expect((inputs.sourceFiles as { name: string }[]).map((file) => file.name)).toEqual([`${tree.package}_1.0.dsc`, `${tree.package}_1.0.tar.xz`]);

        // The .deb's Architecture, and its program: an ELF for the arch that runs.
        const deb = uploaded(job.jobId, `_${arch}.deb`).find((upload) => !upload.name.includes('-dbgsym'));
        expect(deb?.name).toBe(`${tree.package}_1.0_${arch}.deb`);
        const unpacked = path.join(scratch, `unpacked-${arch}`);
        writeFileSync(`${unpacked}.deb`, deb?.content ?? Buffer.alloc(0));
        expect(execFileSync('dpkg-deb', ['--field', `${unpacked}.deb`, 'Architecture'], { encoding: 'utf8' }).trim()).toBe(arch);
        execFileSync('dpkg-deb', ['--extract', `${unpacked}.deb`, unpacked]);
        const program = path.join(unpacked, 'usr', 'bin', tree.package);
        const elf = readFileSync(program);
        expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
        expect(elf.readUInt16LE(18)).toBe(ELF_MACHINE[arch]);
        expect(runProgram(arch, program)).toBe(`Hello from tsbit on ${arch === 'i386' ? 32 : 64}-bit\n`);
      }
      const i386 = reportOf('succeeded', jobs.i386)?.inputs as { chrootSha256: string };
      expect(i386.chrootSha256).toBe(await sha256Of(path.join(sourceChroots, 'bookworm-i386.tar')));
      expect(statSync(path.join(sourceChroots, 'bookworm-i386.tar')).isFile()).toBe(true);

      // The i386 chroot goes away while a builder holds an i386 request: that build fails as the
      // builder's fault, before sbuild runs, and the next hello no longer advertises i386.
      const hellosBefore = reports.filter((report) => report.builder === name && report.hello).length;
      const missing = request('i386', { method: 'dsc', url: dsc, ref: '' }, tree.package);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let checking!: () => void;
      const checked = new Promise<void>((resolve) => (checking = resolve));
      api.beforeJobCheck = async (jobId) => {
        if (jobId !== missing.jobId) return;
        checking();
        await held;
      };
      await publish(missing);
      await checked;
      unlinkSync(path.join(chrootDir, 'bookworm-i386.tar'));
      release();
      expect(await finalReport(missing)).toMatchObject({ kind: 'failed', data: { failureClass: 'infrastructure', code: 'chroot_missing' } });
      expect(reportOf('failed', missing)?.message).toContain('make-chroot.sh bookworm i386');
      const later = await waitFor('a hello without i386', () =>
        reports.filter((report) => report.builder === name && report.hello).slice(hellosBefore).map((report) => report.hello as Record<string, unknown>).find((body) => !(body.arches as string[]).includes('i386')),
      );
      expect(later.unavailable).toEqual([expect.objectContaining({ arch: 'i386', suite: 'bookworm', fix: expect.stringContaining('make-chroot.sh bookworm i386') })]);
    },
    BUILDS_TIMEOUT_MS + 120_000,
  );
});
