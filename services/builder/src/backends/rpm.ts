import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from '../process';
import { findFiles } from '../artifacts';
import { BuildFailure } from '../failure';
import { expectSuccess, type StepContext } from '../step';
import type { Backend } from './backend';

/** Where the spec file may be: the source's root, or packaging/. */
const SPEC_DIRS = ['.', 'packaging'];
const RPM_NAME = /^[A-Za-z0-9._+-]+$/;
const RPM_VERSION = /^[A-Za-z0-9._+~^]+$/;

/** The one *.spec of the source tree, at its root or in packaging/. */
export async function findSpec(srcDir: string): Promise<string> {
  for (const dir of SPEC_DIRS) {
    const names = (await readdir(path.join(srcDir, dir)).catch(() => [] as string[])).filter((name) => name.endsWith('.spec'));
    if (names.length === 1) return path.join(srcDir, dir, names[0] as string);
    if (names.length > 1) throw new BuildFailure('package', 'no_spec', `${dir}/ holds ${names.length} .spec files; an rpm build needs exactly one`);
  }
  throw new BuildFailure('package', 'no_spec', 'no .spec file at the source root or in packaging/');
}

export function rpmspecQueryCommand(spec: string): Command {
  return { command: 'rpmspec', args: ['-q', '--srpm', '--qf', '%{NAME}\\t%{VERSION}\\n', '--', spec] };
}

/** Name and version of the spec, as `%{name}-%{version}.tar.gz` (its Source0) needs them. */
export function parseRpmspecOutput(output: string): { name: string; version: string } {
  const [name = '', version = ''] = (output.trim().split('\n')[0] ?? '').split('\t');
  if (!RPM_NAME.test(name) || !RPM_VERSION.test(version)) {
    throw new BuildFailure('package', 'invalid_spec', `cannot read Name and Version from the spec (got "${output.trim()}")`);
  }
  return { name, version };
}

/** The source tree as Source0 expects it: a gzipped tar whose top directory is `<name>-<version>`. */
export function sourceTarballCommand(srcDir: string, tarball: string, topDir: string): Command {
  return {
    command: 'tar',
    args: [
      '--create',
      '--gzip',
      `--file=${tarball}`,
      '--exclude-vcs',
      `--directory=${srcDir}`,
      // Rename ./ to <name>-<version>/ in member names only (S: leave symlink targets alone).
      `--transform=s,^\\.,${topDir},S`,
      '.',
    ],
  };
}

export function rpmbuildCommand(topdir: string, spec: string): Command {
  return { command: 'rpmbuild', args: ['-ba', '--define', `_topdir ${topdir}`, '--', spec] };
}

/**
 * rpmbuild of the spec in the source tree, with a private _topdir in the build's directory.
 * Supports specs whose Source0 is `%{name}-%{version}.tar.gz`, made here from the source tree.
 */
export const rpmBackend: Backend = {
  name: 'rpm',
  async build(ctx: StepContext) {
    const spec = await findSpec(ctx.srcDir);
    const query = await ctx.exec(rpmspecQueryCommand(spec), { captureStdout: true });
    expectSuccess(query, 'package', 'invalid_spec', 'rpmspec');
    const { name, version } = parseRpmspecOutput(query.stdout);

    const topdir = path.join(ctx.jobDir, 'rpmbuild');
    for (const dir of ['SOURCES', 'SPECS', 'BUILD', 'RPMS', 'SRPMS']) await mkdir(path.join(topdir, dir), { recursive: true });
    const tarball = path.join(topdir, 'SOURCES', `${name}-${version}.tar.gz`);
    ctx.log(`source tarball ${path.basename(tarball)}`);
    expectSuccess(await ctx.exec(sourceTarballCommand(ctx.srcDir, tarball, `${name}-${version}`)), 'infrastructure', 'source_tarball_failed', 'tar');

    const command = rpmbuildCommand(topdir, spec);
    ctx.log(`${command.command} ${command.args.join(' ')}`);
    expectSuccess(await ctx.exec(command), 'package', 'build_failed', 'rpmbuild');
    return [...(await findFiles(path.join(topdir, 'RPMS'), '.rpm')), ...(await findFiles(path.join(topdir, 'SRPMS'), '.rpm'))];
  },
};
