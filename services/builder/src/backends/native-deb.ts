import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from '../process';
import { debianResults, listFiles } from '../artifacts';
import { BuildFailure } from '../failure';
import { hostArchitecture } from '../host';
import { toolVersion } from '../inputs';
import { expectSuccess, type StepContext } from '../step';
import type { Backend } from './backend';

/**
 * `-b` builds every binary package; `-B` only the architecture-dependent ones, so that
 * `Architecture: all` packages are built once, on the suite's master architecture.
 * DEB_BUILD_OPTIONS=nocheck is deliberately not set: a package's tests run.
 */
export function dpkgBuildpackageCommand(buildArchIndep: boolean): Command {
  return { command: 'dpkg-buildpackage', args: [buildArchIndep ? '-b' : '-B', '-uc', '-us'] };
}

/** True if debian/control declares a binary package that is not `Architecture: all`. */
export function hasArchDependentPackages(control: string): boolean {
  const stanzas = control.split(/\n\s*\n/).filter((stanza) => /^Package:/m.test(stanza));
  return stanzas.some((stanza) => {
    const architecture = /^Architecture:\s*(.+)$/m.exec(stanza)?.[1]?.trim() ?? 'any';
    return architecture.split(/\s+/).some((arch) => arch !== 'all');
  });
}

/**
 * A build on a non-master architecture of a package whose binaries are all `Architecture: all`
 * has nothing to build: those are built once, by the suite's master architecture's job. It fails
 * with a reason that says so, rather than ending Done with nothing to show.
 */
export async function refuseArchAllOnly(ctx: StepContext): Promise<void> {
  if (ctx.job.buildArchIndep) return;
  const control = await readFile(path.join(ctx.srcDir, 'debian', 'control'), 'utf8').catch(() => undefined);
  if (control === undefined || hasArchDependentPackages(control)) return;
  throw new BuildFailure(
    'package',
    'arch_all_only',
    `every binary package of ${ctx.job.package} is Architecture: all: it is built on the suite's master architecture, not for ${ctx.job.arch}`,
  );
}

/** The build runs on this machine, so it can only be for this machine's architecture. */
export async function requireHostArchitecture(ctx: StepContext, backend: string): Promise<void> {
  const host = await hostArchitecture();
  if (ctx.job.arch !== host) {
    throw new BuildFailure('infrastructure', 'arch_unsupported', `the ${backend} back end builds for this builder's architecture (${host}) only, not for ${ctx.job.arch}`);
  }
}

/** dpkg-buildpackage on the builder itself: fast, but the build runs with the builder's rights, for its own architecture only. */
export const nativeDebBackend: Backend = {
  name: 'native',
  async build(ctx) {
    await requireHostArchitecture(ctx, 'native');
    await refuseArchAllOnly(ctx);
    const before = new Set(await listFiles(ctx.jobDir));
    const command = dpkgBuildpackageCommand(ctx.job.buildArchIndep);
    ctx.log(`${command.command} ${command.args.join(' ')}`);
    expectSuccess(await ctx.exec(command), 'package', 'build_failed', 'dpkg-buildpackage');
    const files = debianResults(before, await listFiles(ctx.jobDir)).map((name) => path.join(ctx.jobDir, name));
    return {
      files,
      inputs: { backend: 'native', backendVersion: await toolVersion(ctx, 'dpkg-buildpackage'), chroot: '', chrootSha256: '', mode: 'native' },
    };
  },
};
