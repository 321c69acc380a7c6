import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from '../process';
import { findFiles } from '../artifacts';
import { BuildFailure } from '../failure';
import { toolVersion } from '../inputs';
import { GIT_ENV } from '../sources/git';
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

/** Archive suffixes and the compressor git archive pipes its tar through (tar itself picks one by suffix). */
const ARCHIVE_FORMATS: readonly { suffix: RegExp; gitFormat: string; compressor?: string }[] = [
  { suffix: /\.(tar\.gz|tgz)$/, gitFormat: 'tar.gz' },
  { suffix: /\.tar\.xz$/, gitFormat: 'tar.xz', compressor: 'xz -c' },
  { suffix: /\.tar\.bz2$/, gitFormat: 'tar.bz2', compressor: 'bzip2 -c' },
  { suffix: /\.tar\.zst$/, gitFormat: 'tar.zst', compressor: 'zstd -c -q' },
  { suffix: /\.tar$/, gitFormat: 'tar' },
];
const SOURCE_FILE_NAME = /^[A-Za-z0-9._+~-]+$/;

/** What the spec expects in SOURCES: Source0's file name, its other sources and patches, and where %setup unpacks Source0. */
export interface SpecSources {
  name: string;
  version: string;
  /** Source0's file name (the basename of its URL); undefined when the spec has no source. */
  source0: string | undefined;
  /** The file names of every Source and Patch, Source0 included. */
  files: string[];
  /** Source0's top directory: `%setup -n` or `<name>-<version>`; '' for `%setup -c`, whose archive has none. */
  topDir: string;
}

/** The spec with its macros expanded (%prep included), as rpmbuild will read it. */
export function rpmspecParseCommand(spec: string, topdir: string): Command {
  return { command: 'rpmspec', args: ['-P', '--define', `_topdir ${topdir}`, '--', spec] };
}

/**
 * Reads Source0 and the other sources from the preamble of an expanded spec (`rpmspec -P`), and
 * the directory Source0 unpacks into from the expanded %setup: `rm -rf '<dir>'` before the
 * unpacking of Source0, with `mkdir -p '<dir>'` in between for `%setup -c`.
 */
export function parseExpandedSpec(expanded: string, name: string, version: string): SpecSources {
  const lines = expanded.split('\n');
  const files: string[] = [];
  let source0: string | undefined;
  for (const line of lines) {
    const match = /^(Source|Patch)(\d*)\s*:\s*(\S+)\s*$/i.exec(line);
    if (!match) continue;
    const file = (match[3] ?? '').split('/').pop() ?? '';
    if (!SOURCE_FILE_NAME.test(file)) throw new BuildFailure('package', 'invalid_spec', `${match[1]}${match[2]}: "${match[3]}" does not end in a plain file name`);
    files.push(file);
    if (match[1]?.toLowerCase() === 'source' && (match[2] === '' || Number(match[2]) === 0)) source0 ??= file;
  }
  let topDir = `${name}-${version}`;
  if (source0) {
    const unpack = lines.findIndex((line) => line.includes(`/SOURCES/${source0}`) && !/^(Source|Patch)/i.test(line));
    const removed = unpack < 0 ? -1 : lines.slice(0, unpack).findLastIndex((line) => /^rm -rf '[^']+'$/.test(line));
    if (removed >= 0) {
      const dir = /^rm -rf '([^']+)'$/.exec(lines[removed] ?? '')?.[1] ?? topDir;
      const created = lines.slice(removed, unpack).some((line) => /\bmkdir -p '[^']+'$/.test(line));
      topDir = created ? '' : dir;
    }
  }
  return { name, version, source0, files: [...new Set(files)], topDir };
}

function archiveFormat(file: string) {
  const format = ARCHIVE_FORMATS.find(({ suffix }) => suffix.test(file));
  if (!format) throw new BuildFailure('package', 'invalid_spec', `Source0 "${file}" is not in the checkout, and tsbit makes only tar archives (${ARCHIVE_FORMATS.map(({ gitFormat }) => gitFormat).join(', ')})`);
  return format;
}

/**
 * Source0 from a git checkout, as the spec names it: the committed tree at HEAD (the commit built),
 * `export-ignore` honoured, under `<topDir>/`. Compressors other than gzip are git's tar filters.
 */
export function gitArchiveCommand(srcDir: string, archive: string, topDir: string): Command {
  const format = archiveFormat(path.basename(archive));
  return {
    command: 'git',
    args: [
      '-C',
      srcDir,
      ...(format.compressor ? ['-c', `tar.${format.gitFormat}.command=${format.compressor}`] : []),
      'archive',
      `--format=${format.gitFormat}`,
      ...(topDir ? [`--prefix=${topDir}/`] : []),
      `--output=${archive}`,
      'HEAD',
    ],
  };
}

/** Source0 from any other tree (an svn export): GNU tar, compressed by the archive's suffix, VCS data left out. */
export function sourceTarballCommand(srcDir: string, archive: string, topDir: string, entries: readonly string[] = ['.']): Command {
  archiveFormat(path.basename(archive));
  return {
    command: 'tar',
    args: [
      '--create',
      '--auto-compress',
      `--file=${archive}`,
      '--exclude-vcs',
      `--directory=${srcDir}`,
      // Rename ./ to <topDir>/ in member names only (S: leave symlink targets alone).
      ...(topDir ? [`--transform=s,^\\.,${topDir},S`] : []),
      '--',
      ...entries,
    ],
  };
}

export function rpmbuildCommand(topdir: string, spec: string): Command {
  return { command: 'rpmbuild', args: ['-ba', '--define', `_topdir ${topdir}`, '--', spec] };
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

/**
 * Fills SOURCES as the spec expects it: every Source and Patch the checkout ships (at its root or
 * beside the spec) is copied; Source0, unless shipped, is made from the checkout under the name
 * and top directory the spec expects (git archive for git, tar for svn).
 */
async function prepareSources(ctx: StepContext, spec: string, sources: SpecSources, sourcesDir: string): Promise<void> {
  const shipped = async (file: string): Promise<string | undefined> => {
    for (const dir of new Set([ctx.srcDir, path.dirname(spec)])) if (await isFile(path.join(dir, file))) return path.join(dir, file);
    return undefined;
  };
  for (const file of sources.files) {
    const found = await shipped(file);
    if (found) await copyFile(found, path.join(sourcesDir, file));
  }
  if (!sources.source0 || (await isFile(path.join(sourcesDir, sources.source0)))) {
    if (sources.source0) ctx.log(`Source0 ${sources.source0}: shipped in the checkout`);
    return;
  }
  const archive = path.join(sourcesDir, sources.source0);
  const where = sources.topDir ? `${sources.topDir}/` : 'no top directory (%setup -c)';
  if (ctx.job.source.method === 'git') {
    ctx.log(`Source0 ${sources.source0}: git archive of HEAD under ${where}`);
    expectSuccess(await ctx.exec(gitArchiveCommand(ctx.srcDir, archive, sources.topDir), { env: GIT_ENV }), 'infrastructure', 'source_tarball_failed', 'git archive');
    return;
  }
  ctx.log(`Source0 ${sources.source0}: tar of the tree under ${where}`);
  const entries = sources.topDir ? ['.'] : (await readdir(ctx.srcDir)).filter((entry) => entry !== '.svn' && entry !== '.git');
  expectSuccess(await ctx.exec(sourceTarballCommand(ctx.srcDir, archive, sources.topDir, entries)), 'infrastructure', 'source_tarball_failed', 'tar');
}

/**
 * rpmbuild -ba (the SRPM and the RPMs) of the spec in the source tree, with a private _topdir in
 * the build's directory. Its sources come from the checkout: see prepareSources.
 */
export const rpmBackend: Backend = {
  name: 'rpm',
  async build(ctx: StepContext) {
    const spec = await findSpec(ctx.srcDir);
    const topdir = path.join(ctx.jobDir, 'rpmbuild');
    for (const dir of ['SOURCES', 'SPECS', 'BUILD', 'RPMS', 'SRPMS']) await mkdir(path.join(topdir, dir), { recursive: true });

    const query = await ctx.exec(rpmspecQueryCommand(spec), { captureStdout: true });
    expectSuccess(query, 'package', 'invalid_spec', 'rpmspec -q');
    const { name, version } = parseRpmspecOutput(query.stdout);
    const expanded = await ctx.exec(rpmspecParseCommand(spec, topdir), { captureStdout: true });
    expectSuccess(expanded, 'package', 'invalid_spec', 'rpmspec -P');
    await prepareSources(ctx, spec, parseExpandedSpec(expanded.stdout, name, version), path.join(topdir, 'SOURCES'));

    const command = rpmbuildCommand(topdir, spec);
    ctx.log(`${command.command} ${command.args.join(' ')}`);
    expectSuccess(await ctx.exec(command), 'package', 'build_failed', 'rpmbuild');
    const files = [...(await findFiles(path.join(topdir, 'RPMS'), '.rpm')), ...(await findFiles(path.join(topdir, 'SRPMS'), '.rpm'))];
    return { files, inputs: { backend: 'rpmbuild', backendVersion: await toolVersion(ctx, 'rpmbuild'), chroot: '', chrootSha256: '', mode: 'native' } };
  },
};
