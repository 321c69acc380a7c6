import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { debianResults, listFiles } from '../artifacts';
import { BuildFailure, classifyFromLog } from '../failure';
import { chrootSha256, decideArchSupport, probeHost, type BuildPlan, type HostFacts, type ProbeOptions } from '../host';
import { toolVersion } from '../inputs';
import type { Command } from '../process';
import { checkArgument } from '../sources/validate';
import { expectSuccess, type StepContext } from '../step';
import type { Backend } from './backend';
import { refuseArchAllOnly } from './native-deb';

/** The farm's repository is looked up with a short time-out: a build never waits on it for long. */
const REPOSITORY_PROBE_TIMEOUT_MS = 5000;
const FARM_KEY_FILE = 'farm-repository-key.asc';

/** The farm's own APT repository, as sbuild gets it: one sources.list line and the key that signs it. */
export interface ExtraRepository {
  line: string;
  keyFile: string;
}

export interface SbuildCommandOptions {
  suite: string;
  plan: BuildPlan;
  /** The builder's architecture: the build architecture of a cross build. */
  hostArch: string;
  chrootDir: string;
  buildArchIndep: boolean;
  buildDir: string;
  /** A .dsc, or a source tree (sbuild then makes the source package beside it). */
  source: string;
  extraRepository?: ExtraRepository;
}

/**
 * sbuild in a throw-away chroot unpacked from a tarball into a user namespace
 * (`--chroot-mode=unshare`): no root, only a user with subuid/subgid ranges. The tarball is named
 * by its path, so the build uses exactly the chroot whose sha256 it records.
 * - native and emulated: `--arch`; cross: `--host` with the builder's arch as `--build`.
 * - `--no-apt-distupgrade`: the build environment is the tarball plus the build dependencies,
 *   not whatever was newer today (make-chroot.sh remakes tarballs weekly); the package lists are
 *   still updated, because a week-old list names versions the mirror no longer has.
 * - `--no-run-lintian`: lintian is a step of its own that never fails the build.
 * - `--nolog`: sbuild's output already goes to our build log; `--build-dir`: results beside it.
 * - The farm's repository, when there is one, with its key: sbuild copies the key into the
 *   chroot's /etc/apt/trusted.gpg.d/ under a name of its own, so the line needs no signed-by.
 */
export function sbuildCommand(options: SbuildCommandOptions): Command {
  const { plan } = options;
  const arch = checkArgument('arch', plan.arch);
  const archArgs = plan.mode === 'cross' ? [`--host=${arch}`, `--build=${checkArgument('arch', options.hostArch)}`] : [`--arch=${arch}`];
  const repository = options.extraRepository
    ? [`--extra-repository=${options.extraRepository.line}`, `--extra-repository-key=${options.extraRepository.keyFile}`]
    : [];
  return {
    command: 'sbuild',
    args: [
      '--chroot-mode=unshare',
      `--chroot=${path.join(options.chrootDir, plan.chroot)}`,
      `--dist=${checkArgument('suite', options.suite)}`,
      ...archArgs,
      options.buildArchIndep ? '--arch-all' : '--no-arch-all',
      '--no-apt-distupgrade',
      '--no-run-lintian',
      '--nolog',
      `--build-dir=${options.buildDir}`,
      ...repository,
      '--',
      options.source,
    ],
  };
}

/** The sources.list line of the farm's APT repository for a suite. */
export function farmRepositoryLine(repositoryUrl: string, suite: string): string {
  return `deb ${repositoryUrl.replace(/\/+$/, '')}/deb ${checkArgument('suite', suite)} main`;
}

/**
 * The farm's own repository, if the API serves one for this suite: its key (GET /repos/key.asc)
 * and a Release for the suite. Without them (404: nothing published yet, or no repository at all)
 * the build goes ahead without it, as it would if the API cannot be reached: its build
 * dependencies may then be missing, which the build reports as a dependency wait.
 */
export async function farmRepository(ctx: StepContext, repositoryUrl: string | undefined): Promise<ExtraRepository | undefined> {
  if (!repositoryUrl) return undefined;
  const base = repositoryUrl.replace(/\/+$/, '');
  const get = (url: string): Promise<Response | undefined> => fetch(url, { signal: AbortSignal.timeout(REPOSITORY_PROBE_TIMEOUT_MS) }).catch(() => undefined);
  const key = await get(`${base}/key.asc`);
  if (!key?.ok) {
    ctx.log(`the farm's repository: no key at ${base}/key.asc (${key ? `HTTP ${key.status}` : 'unreachable'}): building without it`);
    return undefined;
  }
  const release = await get(`${base}/deb/dists/${encodeURIComponent(ctx.job.suite)}/Release`);
  await release?.body?.cancel();
  if (!release?.ok) {
    ctx.log(`the farm's repository has nothing for ${ctx.job.suite} yet (${release ? `HTTP ${release.status}` : 'unreachable'}): building without it`);
    return undefined;
  }
  const keyFile = path.join(ctx.jobDir, FARM_KEY_FILE);
  await writeFile(keyFile, Buffer.from(await key.arrayBuffer()));
  return { line: farmRepositoryLine(base, ctx.job.suite), keyFile };
}

/** A dsc or apt job builds the .dsc it downloaded; a git or svn job its tree, from which sbuild makes the source package. */
async function sourceToBuild(ctx: StepContext): Promise<string> {
  if (ctx.job.source.method !== 'dsc' && ctx.job.source.method !== 'apt') return ctx.srcDir;
  const dscs = (await readdir(ctx.jobDir)).filter((name) => name.endsWith('.dsc'));
  if (dscs.length !== 1) throw new BuildFailure('package', 'source_unavailable', `expected one .dsc in the build directory, found ${dscs.length}`);
  return path.join(ctx.jobDir, dscs[0] as string);
}

export interface SbuildOptions {
  /** Where the chroot tarballs are (TSBIT_CHROOT_DIR). */
  chrootDir: string;
  /** The farm's repositories (`<TSBIT_API_URL>/repos`), seen by builds as an extra repository. */
  repositoryUrl?: string;
  /** For tests: another view of the machine. */
  probe?: (options: ProbeOptions) => Promise<HostFacts>;
}

/**
 * The machine is probed again before each build: a chroot deleted, a subuid range removed or a
 * builder restarted as root since start-up is the builder's fault, reported as an infrastructure
 * failure with the reason and the fix, and never blamed on the package.
 */
async function planBuild(ctx: StepContext, options: SbuildOptions): Promise<{ plan: BuildPlan; fallback?: BuildPlan; hostArch: string }> {
  const { suite, arch } = ctx.job;
  const facts = await (options.probe ?? probeHost)({ chrootDir: options.chrootDir, arches: [arch] });
  const support = decideArchSupport(facts, { backend: 'sbuild', arches: [arch], suites: [suite] });
  const plan = support.plans[0];
  if (!plan) {
    const gap = support.unavailable[0];
    throw new BuildFailure('infrastructure', gap?.code ?? 'arch_unsupported', `${gap?.reason ?? `cannot build for ${arch}`}; fix: ${gap?.fix ?? ''}`);
  }
  return { plan, ...(plan.fallback ? { fallback: plan.fallback } : {}), hostArch: facts.hostArch };
}

export function sbuildBackend(options: SbuildOptions): Backend {
  return {
    name: 'sbuild',
    async build(ctx) {
      await refuseArchAllOnly(ctx);
      const { plan, fallback, hostArch } = await planBuild(ctx, options);
      const source = await sourceToBuild(ctx);
      const extraRepository = await farmRepository(ctx, options.repositoryUrl);
      const before = new Set(await listFiles(ctx.jobDir));
      const run = async (attempt: BuildPlan) => {
        const command = sbuildCommand({
          suite: ctx.job.suite,
          plan: attempt,
          hostArch,
          chrootDir: options.chrootDir,
          buildArchIndep: ctx.job.buildArchIndep,
          buildDir: ctx.jobDir,
          source,
          ...(extraRepository ? { extraRepository } : {}),
        });
        ctx.log(`${attempt.mode} build: ${command.command} ${command.args.join(' ')}`);
        return ctx.exec(command, { cwd: ctx.jobDir });
      };

      let used = plan;
      let result = await run(plan);
      // Many packages cannot be cross-built because a build dependency is not multi-arch ready;
      // under emulation the same build dependencies install as on the architecture itself.
      if (result.exitCode !== 0 && fallback && classifyFromLog(await ctx.logTail())?.code === 'dependency_wait') {
        ctx.log(`the cross build's dependencies cannot be installed: building again under emulation (${fallback.chroot})`);
        used = fallback;
        result = await run(fallback);
      }
      // A failure to install build dependencies is told apart from the log (classifyFromLog).
      expectSuccess(result, 'package', 'build_failed', 'sbuild');
      const files = debianResults(before, await listFiles(ctx.jobDir)).map((name) => path.join(ctx.jobDir, name));
      return {
        files,
        inputs: {
          backend: 'sbuild',
          backendVersion: await toolVersion(ctx, 'sbuild'),
          chroot: used.chroot,
          chrootSha256: await chrootSha256(path.join(options.chrootDir, used.chroot)),
          mode: used.mode,
        },
      };
    },
  };
}
