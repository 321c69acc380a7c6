import path from 'node:path';
import type { Command } from '../process';
import { debianResults, listFiles } from '../artifacts';
import { checkArgument } from '../sources/validate';
import { expectSuccess, type StepContext } from '../step';
import type { Backend } from './backend';
import { nothingToBuild } from './native-deb';

/**
 * sbuild in a throw-away chroot unpacked from `~/.cache/sbuild/<suite>-<arch>.tar` into a user
 * namespace (`--chroot-mode=unshare`): needs no root, only a user with subuid/subgid ranges and the
 * tarball made by scripts/make-chroot.sh. `--no-clean-source` because the tree is fresh;
 * `--nolog` because its output already goes to our build log; `--build-dir` so that the results
 * land in the build's directory, as dpkg-buildpackage's do.
 */
export function sbuildCommand(options: { suite: string; arch: string; buildArchIndep: boolean; buildDir: string }): Command {
  return {
    command: 'sbuild',
    args: [
      '--chroot-mode=unshare',
      '--no-clean-source',
      '-d',
      checkArgument('suite', options.suite),
      '--arch',
      checkArgument('arch', options.arch),
      options.buildArchIndep ? '--arch-all' : '--no-arch-all',
      '--nolog',
      `--build-dir=${options.buildDir}`,
    ],
  };
}

export const sbuildBackend: Backend = {
  name: 'sbuild',
  async build(ctx: StepContext) {
    if (await nothingToBuild(ctx)) return [];
    const before = new Set(await listFiles(ctx.jobDir));
    const command = sbuildCommand({ suite: ctx.job.suite, arch: ctx.job.arch, buildArchIndep: ctx.job.buildArchIndep, buildDir: ctx.jobDir });
    ctx.log(`${command.command} ${command.args.join(' ')}`);
    // A failure to install build dependencies is told apart from the log (classifyFromLog).
    expectSuccess(await ctx.exec(command), 'package', 'build_failed', 'sbuild');
    return debianResults(before, await listFiles(ctx.jobDir)).map((name) => path.join(ctx.jobDir, name));
  },
};
