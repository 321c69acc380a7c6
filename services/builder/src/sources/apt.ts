import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from '../process';
import { BuildFailure } from '../failure';
import { expectSuccess, type StepContext } from '../step';
import { unpackDsc } from './dsc';
import { checkArgument, checkDebianPackage, checkDebianVersion, checkUrl } from './validate';

const APT_ETC = '/etc/apt';
/** The private package lists are refreshed when older than this. */
export const APT_LISTS_MAX_AGE_MS = 60 * 60 * 1000;
/** Beside the job directories in the work dir: one APT state per set of sources. */
const APT_STATE_DIR = 'apt';
/** Written after a successful `apt-get update`: its mtime is the lists' age. */
const UPDATED_STAMP = 'updated';
/** Options of one-line entries that have no meaning for deb-src, or would filter it out. */
const DROPPED_ONE_LINE_OPTIONS = /^(arch|lang|target)[-+]?=/;
const DROPPED_DEB822_FIELDS = /^(Architectures|Languages|Targets)\s*:/i;

/** APT's configuration of sources as files: one-line `.list` entries and deb822 `.sources` stanzas. */
export interface AptSources {
  list: string;
  sources: string;
}

/**
 * The deb-src counterparts of a set of APT source files: every enabled `deb` (or `deb-src`)
 * entry becomes a `deb-src` entry of the same archive, suite, components and key (Signed-By is
 * kept, inline keys included). Architecture and language filters are dropped; CD-ROMs are left out.
 */
export function debSrcSources(files: readonly { name: string; content: string }[]): AptSources {
  const lines = new Set<string>();
  const stanzas = new Set<string>();
  for (const { name, content } of files) {
    if (name.endsWith('.sources')) {
      for (const stanza of content.split(/\n\s*\n/)) {
        const fields = stanza.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
        const types = fields.find((line) => /^Types\s*:/i.test(line));
        if (!types || !/\bdeb(-src)?\b/.test(types) || fields.some((line) => /^Enabled\s*:\s*no\b/i.test(line))) continue;
        if (fields.some((line) => /^URIs\s*:.*\bcdrom:/i.test(line))) continue;
        // A continuation line (" ...") belongs to the field before it: drop it with its field.
        const kept: string[] = [];
        let dropping = false;
        for (const line of fields) {
          if (/^\s/.test(line)) {
            if (!dropping) kept.push(line);
            continue;
          }
          dropping = DROPPED_DEB822_FIELDS.test(line);
          if (!dropping) kept.push(/^Types\s*:/i.test(line) ? 'Types: deb-src' : line);
        }
        stanzas.add(kept.join('\n'));
      }
    } else {
      for (const raw of content.split('\n')) {
        const line = raw.replace(/#.*$/, '').trim();
        const match = /^deb(?:-src)?\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(.+)$/.exec(line);
        if (!match || match[2]?.startsWith('cdrom:')) continue;
        const options = (match[1] ?? '').split(/\s+/).filter((option) => option !== '' && !DROPPED_ONE_LINE_OPTIONS.test(option));
        lines.add(['deb-src', ...(options.length > 0 ? [`[ ${options.join(' ')} ]`] : []), match[2], ...(match[3] ?? '').split(/\s+/)].join(' '));
      }
    }
  }
  return { list: [...lines].map((line) => `${line}\n`).join(''), sources: [...stanzas].map((stanza) => `${stanza}\n`).join('\n') };
}

/** The one archive a job names by URL, for its suite's main component (signed by a key APT trusts). */
export function archiveSources(url: string, suite: string): AptSources {
  const checked = checkUrl('source.url', url, ['http:', 'https:']);
  return { list: '', sources: `Types: deb-src\nURIs: ${checked}\nSuites: ${checkArgument('suite', suite)}\nComponents: main\n` };
}

function isEmpty(sources: AptSources): boolean {
  return sources.list.trim() === '' && sources.sources.trim() === '';
}

/** The files of an APT state of its own: its lists, its downloads and its sources, in `stateDir`. */
export function aptStateOptions(stateDir: string): string[] {
  return [
    ['Dir::State', path.join(stateDir, 'state')],
    ['Dir::Cache', path.join(stateDir, 'cache')],
    ['Dir::Etc::SourceList', path.join(stateDir, 'sources.list')],
    ['Dir::Etc::SourceParts', path.join(stateDir, 'sources.list.d')],
  ].flatMap(([key, value]) => ['-o', `${key}=${value}`]);
}

export function aptUpdateCommand(stateDir: string): Command {
  return { command: 'apt-get', args: [...aptStateOptions(stateDir), '--quiet', 'update'] };
}

/** Downloads a source package at a version from the archives APT knows; unpacking is separate. */
export function aptSourceCommand(pkg: string, version: string, stateDir: string): Command {
  return {
    command: 'apt-get',
    args: [
      ...aptStateOptions(stateDir),
      '--quiet',
      'source',
      '--download-only',
      '--only-source',
      '--',
      `${checkDebianPackage('package', pkg)}=${checkDebianVersion('source.ref', version)}`,
    ],
  };
}

/** The state of one set of sources: a change of sources gets fresh lists, never stale ones. */
export function aptStateDir(root: string, sources: AptSources): string {
  const digest = createHash('sha256').update(sources.list).update('\0').update(sources.sources).digest('hex');
  return path.join(root, digest.slice(0, 16));
}

/** The lists are stale when never updated, or updated before `maxAgeMs`. */
export function isStale(updatedAtMs: number | undefined, nowMs: number, maxAgeMs = APT_LISTS_MAX_AGE_MS): boolean {
  return updatedAtMs === undefined || nowMs - updatedAtMs >= maxAgeMs;
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
  for (const name of names.filter((entry) => entry.endsWith('.list') || entry.endsWith('.sources')).sort()) await read(path.join(dir, name));
  return files;
}

/**
 * Many readers or one writer, first come first served: builds download sources from a state side
 * by side, but never while its lists are rewritten, and two updates never run at once.
 */
export class SharedLock {
  private readers = 0;
  private writing = false;
  private readonly waiting: { exclusive: boolean; start: () => void }[] = [];

  async run<T>(exclusive: boolean, work: () => Promise<T>): Promise<T> {
    await new Promise<void>((start) => {
      this.waiting.push({ exclusive, start });
      this.pump();
    });
    try {
      return await work();
    } finally {
      if (exclusive) this.writing = false;
      else this.readers -= 1;
      this.pump();
    }
  }

  private pump(): void {
    while (!this.writing) {
      const next = this.waiting[0];
      if (!next || (next.exclusive && this.readers > 0)) return;
      this.waiting.shift();
      if (next.exclusive) this.writing = true;
      else this.readers += 1;
      next.start();
    }
  }
}

/** One lock per APT state in this process (the builder's slots share the work dir). */
const locks = new Map<string, SharedLock>();
const lockFor = (stateDir: string): SharedLock => {
  let lock = locks.get(stateDir);
  if (!lock) locks.set(stateDir, (lock = new SharedLock()));
  return lock;
};

export interface AptOptions {
  /** Where the APT states live; by default `apt/` in the work dir (the job directory's parent). */
  stateRoot?: string;
  /** A sources file (one-line `.list` or deb822 `.sources`) to use instead of the host's (TSBIT_APT_SOURCES). */
  sourcesFile?: string;
  /** The host's APT configuration, whose sources are used by default. */
  etcApt?: string;
  maxAgeMs?: number;
}

async function sourcesFor(ctx: StepContext, options: AptOptions): Promise<{ sources: AptSources; from: string }> {
  if (ctx.job.source.url !== '') return { sources: archiveSources(ctx.job.source.url, ctx.job.suite), from: ctx.job.source.url };
  if (options.sourcesFile) {
    const content = await readFile(options.sourcesFile, 'utf8').catch((error: Error) => {
      throw new BuildFailure('infrastructure', 'no_deb_src', `cannot read the APT sources ${options.sourcesFile} (TSBIT_APT_SOURCES): ${error.message}`);
    });
    return { sources: debSrcSources([{ name: options.sourcesFile, content }]), from: options.sourcesFile };
  }
  const etcApt = options.etcApt ?? APT_ETC;
  return { sources: debSrcSources(await readAptSources(etcApt)), from: `${etcApt}/sources.list(.d)` };
}

async function updatedAt(stateDir: string): Promise<number | undefined> {
  return stat(path.join(stateDir, UPDATED_STAMP)).then(
    (stats) => stats.mtimeMs,
    () => undefined,
  );
}

/**
 * A source package at a version (the source's ref, or the job's version) from Debian archives,
 * with no URL and no root: the builder keeps an APT state of its own in its work dir, whose
 * deb-src sources are those of the host's APT sources (or of TSBIT_APT_SOURCES, or the archive
 * the job's URL names), updates its lists when they are older than an hour, and downloads with
 * `apt-get source --download-only`. The .dsc's signature is then checked and it is unpacked.
 */
export async function fetchApt(ctx: StepContext, options: AptOptions = {}): Promise<void> {
  const version = ctx.job.source.ref || ctx.job.version;
  const { sources, from } = await sourcesFor(ctx, options);
  if (isEmpty(sources)) {
    throw new BuildFailure('infrastructure', 'no_deb_src', `no APT source in ${from} to fetch source packages from: add a deb entry, or set TSBIT_APT_SOURCES`);
  }
  const stateDir = aptStateDir(options.stateRoot ?? path.join(path.dirname(ctx.jobDir), APT_STATE_DIR), sources);
  const source = aptSourceCommand(ctx.job.package, version, stateDir);
  const lock = lockFor(stateDir);
  const maxAgeMs = options.maxAgeMs ?? APT_LISTS_MAX_AGE_MS;

  let updateFailed = false;
  if (isStale(await updatedAt(stateDir), Date.now(), maxAgeMs)) {
    await lock.run(true, async () => {
      // Another build may have updated the lists while this one waited.
      if (!isStale(await updatedAt(stateDir), Date.now(), maxAgeMs)) return;
      for (const dir of ['state/lists/partial', 'cache/archives/partial', 'sources.list.d']) await mkdir(path.join(stateDir, dir), { recursive: true });
      await writeFile(path.join(stateDir, 'sources.list'), sources.list);
      await writeFile(path.join(stateDir, 'sources.list.d', 'tsbit.sources'), sources.sources);
      ctx.log(`apt-get update (the builder's own lists, from ${from})`);
      const update = await ctx.exec(aptUpdateCommand(stateDir), { cwd: ctx.jobDir });
      if (update.exitCode === 0) await writeFile(path.join(stateDir, UPDATED_STAMP), new Date().toISOString());
      else {
        // Some archives may have answered: the package may still be found. The next build tries again.
        updateFailed = true;
        ctx.log(`apt-get update failed (exit code ${update.exitCode ?? update.signal}): trying the lists as they are`);
      }
    });
  }

  ctx.log(`apt-get source ${ctx.job.package}=${version}`);
  const result = await lock.run(false, () => ctx.exec(source, { cwd: ctx.jobDir }));
  // Without fresh lists the archive, not the package, may be to blame: another builder may do better.
  if (updateFailed) expectSuccess(result, 'infrastructure', 'apt_update_failed', 'apt-get source (after a failed apt-get update)');
  expectSuccess(result, 'package', 'source_unavailable', 'apt-get source');
  await unpackDsc(ctx);
}
