import { constants } from 'node:fs';
import { access, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BuildInputs, SourceFile } from '@tsbit/domain';
import { describeArtifact } from './artifacts';
import type { Command } from './process';
import type { StepContext } from './step';

/** What identifies a build's source: the downloaded files, or the revision and the tree. */
export type SourceInputs = Pick<BuildInputs, 'sourceFiles' | 'sourceRevision' | 'sourceTreeSha256'>;

/** What the back end adds to a build's inputs. */
export type BackendInputs = Pick<BuildInputs, 'backend' | 'backendVersion' | 'chroot' | 'chrootSha256' | 'mode'>;

const TREE_TARBALL = 'source-tree.tar';

/** The file names a .dsc lists (Checksums-Sha256, else Files), without the .dsc itself. */
export function filesListedInDsc(dsc: string): string[] {
  const field = (name: string): string[] => {
    const match = new RegExp(`^${name}:[^\\n]*\\n((?:[ \\t]+[^\\n]*\\n?)*)`, 'm').exec(dsc);
    return (match?.[1] ?? '')
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[2] ?? '')
      .filter((name) => name !== '' && !name.includes('/'));
  };
  const sha256 = field('Checksums-Sha256');
  return sha256.length > 0 ? sha256 : field('Files');
}

/**
 * A tar of the source tree that depends only on its content: names sorted, owners, times and
 * group/other write bits (the umask's) removed, version control data left out. Its sha256 says
 * whether two builds started from the same tree.
 */
export function normalizedTreeTarCommand(srcDir: string, tarball: string): Command {
  return {
    command: 'tar',
    args: [
      '--create',
      `--file=${tarball}`,
      '--format=gnu',
      '--sort=name',
      '--mtime=@0',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mode=go-w',
      '--exclude-vcs',
      `--directory=${srcDir}`,
      '.',
    ],
  };
}

/**
 * Records the source as fetched, before the build changes the tree: for dsc and apt the .dsc and
 * every file it lists, each with its sha256; for git the commit checked out, for svn the revision
 * exported, each with the sha256 of the normalized tree.
 */
export async function recordSourceInputs(ctx: StepContext): Promise<SourceInputs> {
  const inputs: SourceInputs = { sourceFiles: [], sourceRevision: '', sourceTreeSha256: '' };
  const { method, url, ref } = ctx.job.source;
  if (method === 'dsc' || method === 'apt') {
    const dscs = (await readdir(ctx.jobDir)).filter((name) => name.endsWith('.dsc')).sort();
    for (const dsc of dscs) {
      const listed = filesListedInDsc(await readFile(path.join(ctx.jobDir, dsc), 'utf8'));
      for (const name of [dsc, ...listed]) inputs.sourceFiles.push(await sourceFile(path.join(ctx.jobDir, name)));
    }
    return inputs;
  }
  if (method === 'git') {
    inputs.sourceRevision = await firstLine(ctx, { command: 'git', args: ['-C', ctx.srcDir, 'rev-parse', '--verify', 'HEAD^{commit}'] });
  } else if (method === 'svn') {
    // A numbered revision is what was exported; HEAD or a date is resolved by the server.
    inputs.sourceRevision = /^\d+$/.test(ref)
      ? ref
      : await firstLine(ctx, { command: 'svn', args: ['info', '--non-interactive', '--show-item', 'revision', '-r', ref || 'HEAD', '--', url] });
  }
  const tarball = path.join(ctx.jobDir, TREE_TARBALL);
  const tar = await ctx.exec(normalizedTreeTarCommand(ctx.srcDir, tarball), { cwd: ctx.jobDir });
  if (tar.exitCode === 0) inputs.sourceTreeSha256 = (await describeArtifact(tarball)).sha256;
  else ctx.log('cannot make the normalized source tarball: the tree is not recorded');
  await rm(tarball, { force: true });
  return inputs;
}

async function sourceFile(file: string): Promise<SourceFile> {
  const { name, sha256, size } = await describeArtifact(file);
  return { name, sha256, size };
}

async function firstLine(ctx: StepContext, command: Command): Promise<string> {
  const result = await ctx.exec(command, { captureStdout: true });
  return result.exitCode === 0 ? (result.stdout.split('\n')[0] ?? '').trim() : '';
}

const versions = new Map<string, Promise<string>>();

/**
 * The first line of `<tool> --version`. Remembered by the tool's file and its mtime, which a
 * package upgrade changes: sbuild takes half a second to say its version, too much for every build.
 */
export async function toolVersion(ctx: StepContext, tool: string): Promise<string> {
  const executable = await onPath(tool);
  const key = executable ? `${executable}\0${(await stat(executable)).mtimeMs}` : tool;
  let version = versions.get(key);
  if (!version) {
    version = firstLine(ctx, { command: tool, args: ['--version'] });
    versions.set(key, version);
  }
  return version;
}

async function onPath(tool: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, tool);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

/** The .buildinfo among a build's results, by name. */
export function buildinfoName(files: readonly string[]): string {
  return path.basename(files.find((file) => file.endsWith('.buildinfo')) ?? '');
}
