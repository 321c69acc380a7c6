import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PublishedPackage } from '@tsbit/domain';
import { currentTarget, generationName, linkOrCopy, placeImmutable, pruneGenerations, swapSymlink, writeFileAtomic, KeyedBatcher, type SourceFile } from './files';
import { PublishRefused, SUITE_NAME } from './apt-repository';
import { compareRpmVersions, formatRpmVersion } from './rpm-version';
import { runText } from './run';
import type { SigningKey } from './signing-key';

/** Generations of an arch directory's repodata kept on disk besides the one served. */
const KEEP_GENERATIONS = 3;
/** Earlier repomd.xml whose metadata files stay reachable, for clients that read one of them a moment ago. */
const RETAIN_REPOMDS = 3;
/** The directory source rpms go into, beside the binary arch directories. */
export const SOURCE_DIR = 'src';
const PACKAGES_DIR = 'packages';
const STATE_FILE = 'state.json';
/** Publishes of one suite that arrive while its metadata is made go into the next generation together. */
const MAX_BATCH = 64;
const RPM_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const RPM_HEADER_FORMAT = '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%|SOURCEPACKAGE?{src}:{bin}|\\n';

/** dnf's $basearch for an rpm or Debian architecture name, so that `.repo` files can use `$basearch`. */
export function baseArch(arch: string): string {
  const map: Record<string, string> = {
    amd64: 'x86_64',
    x86_64: 'x86_64',
    i386: 'i386',
    i486: 'i386',
    i586: 'i386',
    i686: 'i386',
    athlon: 'i386',
    arm64: 'aarch64',
    aarch64: 'aarch64',
    armhf: 'armhfp',
    armv7hl: 'armhfp',
    ppc64el: 'ppc64le',
    ppc64le: 'ppc64le',
  };
  return map[arch] ?? arch;
}

interface RpmEntry {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  /** Relative to the arch directory. */
  filename: string;
}

/** An rpm of a batch's request, bound for one arch directory. */
interface Item {
  request: number;
  file: SourceFile;
  entry: Omit<RpmEntry, 'filename'>;
}

interface ArchState {
  generation: number;
  entries: Record<string, RpmEntry>;
  /** Metadata file names of the last few repomd.xml, newest first. */
  retained: string[][];
}

export interface YumPublishRequest {
  suite: string;
  /** The job's architecture: where noarch packages go when the suite has no other arch directory. */
  arch: string;
  rpms: SourceFile[];
}

export interface YumPublishResult {
  /** Filenames relative to `/repos/rpm/<suite>/`. */
  packages: PublishedPackage[];
  skipped: { name: string; reason: string }[];
}

/**
 * Signed YUM repositories, one per suite and architecture: `<suite>/<basearch>/packages/*.rpm`
 * and `<suite>/<basearch>/repodata`, a symlink to a complete generation made by
 * `createrepo_c --update` from the package list kept as state (so the directory is never
 * rescanned, and a replaced version drops out), its repomd.xml signed, then swapped in with one
 * rename. Metadata files are named by their hash and those of the last few generations stay, so a
 * client that fetched the previous repomd.xml still gets what it names.
 */
export class YumRepository {
  private readonly batcher = new KeyedBatcher<YumPublishRequest, YumPublishResult>((suite, requests) => this.publishBatch(suite, requests), MAX_BATCH);

  constructor(
    readonly root: string,
    private readonly signer: SigningKey,
  ) {}

  async hasSuite(suite: string): Promise<boolean> {
    if (!SUITE_NAME.test(suite)) return false;
    return (await this.archDirectories(suite)).length > 0;
  }

  /** Arch directories of a suite that have published repodata. */
  async archDirectories(suite: string): Promise<string[]> {
    const names = await readdir(path.join(this.root, suite)).catch(() => [] as string[]);
    const published: string[] = [];
    for (const name of names) if (!name.startsWith('.') && (await stat(path.join(this.root, suite, name, 'repodata', 'repomd.xml')).catch(() => undefined))) published.push(name);
    return published.sort();
  }

  publish(request: YumPublishRequest): Promise<YumPublishResult> {
    if (!SUITE_NAME.test(request.suite)) throw new PublishRefused(`suite "${request.suite}" cannot name a directory: letters, digits and "+_.-" only`);
    return this.batcher.submit(request.suite, request);
  }

  /** Every request of a batch, one new generation per arch directory it touches. */
  private async publishBatch(suite: string, requests: YumPublishRequest[]): Promise<(YumPublishResult | Error)[]> {
    const outcomes: (YumPublishResult | Error)[] = requests.map(() => ({ packages: [], skipped: [] }));
    const byDirectory = new Map<string, Item[]>();
    const existing = (await this.archDirectories(suite)).filter((dir) => dir !== SOURCE_DIR);
    for (const [index, request] of requests.entries()) {
      const items: [string, Item][] = [];
      try {
        for (const file of request.rpms) {
          const header = (await runText('rpm', ['-qp', '--nosignature', '--nodigest', '--qf', RPM_HEADER_FORMAT, file.path])).trim().split('\t');
          const [name = '', epoch = '0', version = '', release = '', arch = '', kind = ''] = header;
          if (!RPM_NAME.test(name) || !RPM_NAME.test(arch) || version === '' || release === '') throw new PublishRefused(`${file.name}: not a readable rpm header (${header.join(' ')})`);
          const entry = { name, epoch: Number(epoch) || 0, version, release, arch: kind === 'src' ? 'src' : arch };
          if (kind === 'src') items.push([SOURCE_DIR, { request: index, file, entry }]);
          // noarch goes into every arch directory the suite has, as Architecture: all does in APT.
          else if (arch === 'noarch') for (const dir of new Set([...existing, baseArch(request.arch)])) items.push([dir, { request: index, file, entry }]);
          else items.push([baseArch(arch), { request: index, file, entry }]);
        }
      } catch (error) {
        outcomes[index] = error instanceof Error ? error : new Error(String(error));
        continue;
      }
      for (const [dir, item] of items) byDirectory.set(dir, [...(byDirectory.get(dir) ?? []), item]);
    }
    for (const [dir, items] of byDirectory) await this.publishInto(suite, dir, items, outcomes);
    return outcomes;
  }

  private async publishInto(suite: string, dir: string, items: Item[], outcomes: (YumPublishResult | Error)[]): Promise<void> {
    const archDir = path.join(this.root, suite, dir);
    const state = await this.load(archDir);
    const entries = { ...state.entries };
    let changed = false;
    for (const { request, file, entry } of items) {
      const result = outcomes[request];
      if (!result || result instanceof Error) continue;
      const key = `${entry.name}.${entry.arch}`;
      const before = entries[key];
      if (before && compareRpmVersions(before, entry) > 0) {
        result.skipped.push({ name: file.name, reason: `${suite}/${dir} has ${entry.name} ${formatRpmVersion(before)}, newer than ${formatRpmVersion(entry)}` });
        continue;
      }
      const filename = await placeImmutable(archDir, PACKAGES_DIR, file);
      result.packages.push({ name: entry.name, version: formatRpmVersion(entry), arch: entry.arch, filename: path.posix.join(dir, filename) });
      if (before?.filename === filename) continue;
      entries[key] = { ...entry, filename };
      changed = true;
    }
    if (!changed && state.generation > 0) return;

    const generation = state.generation + 1;
    const generations = path.join(archDir, '.generations');
    const previousDir = path.join(generations, generationName(state.generation));
    const genDir = path.join(generations, generationName(generation));
    await rm(genDir, { recursive: true, force: true });
    await mkdir(genDir, { recursive: true });
    const list = path.join(genDir, 'pkglist');
    await writeFile(list, Object.values(entries).map((entry) => `${entry.filename}\n`).sort().join(''));
    await runText('createrepo_c', [
      '--update',
      '--skip-stat',
      '--no-database',
      '--quiet',
      '--workers', '2',
      '--pkglist', list,
      ...(state.generation > 0 ? ['--update-md-path', previousDir] : []),
      '--outputdir', genDir,
      archDir,
    ]);
    const repodata = path.join(genDir, 'repodata');
    const own = (await readdir(repodata)).filter((name) => !name.startsWith('repomd.xml'));
    // The metadata of the last few repomd.xml stays reachable beside the new one.
    for (const name of state.retained.flat()) {
      if (!own.includes(name)) await linkOrCopy(path.join(previousDir, 'repodata', name), path.join(repodata, name)).catch(() => undefined);
    }
    await this.signer.detachSign(path.join(repodata, 'repomd.xml'), path.join(repodata, 'repomd.xml.asc'), true);
    const next: ArchState = { generation, entries, retained: [own, ...state.retained].slice(0, RETAIN_REPOMDS) };
    await writeFileAtomic(path.join(genDir, STATE_FILE), JSON.stringify(next));
    await swapSymlink(path.join(archDir, 'repodata'), path.posix.join('.generations', generationName(generation), 'repodata'));
    await pruneGenerations(generations, KEEP_GENERATIONS, generationName(generation));
  }

  private async load(archDir: string): Promise<ArchState> {
    const target = await currentTarget(path.join(archDir, 'repodata'));
    if (!target) return { generation: 0, entries: {}, retained: [] };
    return JSON.parse(await readFile(path.join(archDir, path.dirname(target), STATE_FILE), 'utf8')) as ArchState;
  }
}
