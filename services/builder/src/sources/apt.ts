import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from '../process';
import { BuildFailure } from '../failure';
import { expectSuccess, type StepContext } from '../step';
import { unpackDsc } from './dsc';
import { checkDebianPackage, checkDebianVersion } from './validate';

const APT_ETC = '/etc/apt';

/** Downloads a source package at a version from the archives APT knows; unpacking is separate. */
export function aptSourceCommand(pkg: string, version: string): Command {
  return {
    command: 'apt-get',
    args: ['source', '--download-only', '--', `${checkDebianPackage('package', pkg)}=${checkDebianVersion('source.ref', version)}`],
  };
}

/** True if one of the APT source files (one-line or deb822 format) enables deb-src. */
export function hasDebSrc(files: readonly { name: string; content: string }[]): boolean {
  return files.some(({ name, content }) => {
    const lines = content.split('\n').map((line) => line.trim());
    if (name.endsWith('.sources')) {
      // deb822 stanzas: "Types: deb deb-src", disabled by "Enabled: no" in the same stanza.
      return content
        .split(/\n\s*\n/)
        .some((stanza) => /^Types:.*\bdeb-src\b/im.test(stanza) && !/^Enabled:\s*no\b/im.test(stanza));
    }
    return lines.some((line) => /^deb-src\s/.test(line));
  });
}

export async function readAptSources(etcApt = APT_ETC): Promise<{ name: string; content: string }[]> {
  const files: { name: string; content: string }[] = [];
  const read = async (file: string): Promise<void> => {
    try {
      files.push({ name: file, content: await readFile(file, 'utf8') });
    } catch {
      // Absent or unreadable: it enables nothing.
    }
  };
  await read(path.join(etcApt, 'sources.list'));
  const dir = path.join(etcApt, 'sources.list.d');
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.filter((entry) => entry.endsWith('.list') || entry.endsWith('.sources'))) await read(path.join(dir, name));
  return files;
}

/**
 * A source package from the builder's APT archives (its sources.list decides which: the job's
 * URL is not added, as that would need root and an `apt-get update` per build). The version is
 * the source's ref, or the job's version.
 */
export async function fetchApt(ctx: StepContext, etcApt = APT_ETC): Promise<void> {
  const version = ctx.job.source.ref || ctx.job.version;
  const command = aptSourceCommand(ctx.job.package, version);
  if (!hasDebSrc(await readAptSources(etcApt))) {
    throw new BuildFailure(
      'infrastructure',
      'no_deb_src',
      `this builder has no deb-src entry in ${etcApt}/sources.list(.d): add one and run apt-get update to build from apt`,
    );
  }
  ctx.log(`apt-get source ${ctx.job.package}=${version}`);
  expectSuccess(await ctx.exec(command, { cwd: ctx.jobDir }), 'package', 'source_unavailable', 'apt-get source');
  await unpackDsc(ctx);
}
