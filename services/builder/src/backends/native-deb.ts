import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from '../process';
import { debianResults, listFiles } from '../artifacts';
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
 * A Debian build on a non-master architecture of a package that has only `Architecture: all`
 * binaries has nothing to do; dpkg-buildpackage -B would fail for want of results.
 */
export async function nothingToBuild(ctx: StepContext): Promise<boolean> {
  if (ctx.job.buildArchIndep) return false;
  const control = await readFile(path.join(ctx.srcDir, 'debian', 'control'), 'utf8').catch(() => undefined);
  if (control === undefined || hasArchDependentPackages(control)) return false;
  ctx.log('only Architecture: all packages, and this is not the master architecture: nothing to build');
  return true;
}

/** dpkg-buildpackage on the builder itself: fast, but the build runs with the builder's rights. */
export const nativeDebBackend: Backend = {
  name: 'native',
  async build(ctx) {
    if (await nothingToBuild(ctx)) return [];
    const before = new Set(await listFiles(ctx.jobDir));
    const command = dpkgBuildpackageCommand(ctx.job.buildArchIndep);
    ctx.log(`${command.command} ${command.args.join(' ')}`);
    expectSuccess(await ctx.exec(command), 'package', 'build_failed', 'dpkg-buildpackage');
    return debianResults(before, await listFiles(ctx.jobDir)).map((name) => path.join(ctx.jobDir, name));
  },
};
