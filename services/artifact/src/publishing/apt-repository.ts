import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { compareDebianVersions, isValidDebianVersion, type PublishedPackage } from '@tsbit/domain';
import { clearsignedText, field, fileList, formatStanza, parseStanza, withoutFields, type Stanza } from './deb822';
import { bufferDigests, currentTarget, fileDigests, generationName, linkOrCopy, placeImmutable, pruneGenerations, swapSymlink, writeFileAtomic, KeyedBatcher, type SourceFile } from './files';
import { runText } from './run';
import type { SigningKey } from './signing-key';
import { assembleStream, compressBlock } from './xz-stream';

const gzipAsync = promisify(gzip);

/** The one component: the farm publishes what it builds, not a distribution's sections. */
export const COMPONENT = 'main';
/** Generations of a suite's dists tree kept on disk besides the one served. */
const KEEP_GENERATIONS = 3;
/** Versions of each index kept under by-hash/, so that a client holding an older InRelease still fetches what it names. */
const BY_HASH_KEEP = 8;
/**
 * Indices are kept in this many chunks, by a hash of the package name: adding a package
 * compresses its chunk again, not the whole index, so publishing costs about the same at 10 and
 * at 10,000 packages.
 */
const CHUNKS = 64;
const GZIP_LEVEL = 6;
/** Publishes of one suite that arrive while a generation is written go into the next one together. */
const MAX_BATCH = 64;
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
const ARCH_NAME = /^[a-z0-9][a-z0-9-]*$/;
export const SUITE_NAME = /^[A-Za-z0-9][A-Za-z0-9+_.-]*$/;
const STATE_DIR = '.tsbit';
const SETS_DIR = 'sets';
const CHUNKS_DIR = 'chunks';
const SUITE_FILE = 'suite.json';

interface Entry {
  name: string;
  version: string;
  arch: string;
  filename: string;
  /** The whole stanza as it goes into the index. */
  stanza: string;
}
type EntrySet = Record<string, Entry>;

interface IndexFile {
  size: number;
  md5: string;
  sha256: string;
}
/** A chunk's xz block as the stream's index records it; its gzip member and block bytes are files in the state. */
interface ChunkState {
  unpadded: number;
  uncompressed: number;
}
interface IndexState {
  /** Packages, Packages.gz, Packages.xz (or Sources...) as the Release lists them. */
  files: Record<string, IndexFile>;
  /** sha256s under by-hash/SHA256/, newest first. */
  byHash: string[];
  /** The non-empty chunks, by number. */
  chunks: Record<string, ChunkState>;
}
interface SuiteState {
  generation: number;
  /** RFC 2822 date of the last Release: never goes backwards, or apt would refuse the next one. */
  date: string;
  arches: string[];
  indices: Record<string, IndexState>;
}

/** A batch in progress: the entry sets as changed so far, which of their chunks changed (`<set>#<chunk>`), the suite's architectures. */
interface Work {
  sets: Map<string, EntrySet>;
  changed: Set<string>;
  arches: Set<string>;
}

interface LoadedSuite {
  state: SuiteState;
  sets: Map<string, EntrySet>;
}

export interface AptPublishRequest {
  suite: string;
  /** The job's architecture: a suite that had none gets its index, even for Architecture: all packages. */
  arch: string;
  /** .deb and .udeb files. */
  binaries: SourceFile[];
  /** A source package: its .dsc and the files the .dsc lists. */
  source?: { dsc: SourceFile; files: SourceFile[] };
}

export interface AptPublishResult {
  /** What the indices now name from this request (older versions than the suite has are left out). */
  packages: PublishedPackage[];
  /** Files stored but not indexed, and why. */
  skipped: { name: string; reason: string }[];
}

export class PublishRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishRefused';
  }
}

/**
 * A signed APT repository: `pool/main/<p>/<source>/` and `dists/<suite>/`, the latter a symlink
 * to a complete generation of the suite's indices. Publishing is:
 *
 * - incremental: each index's entries are kept as state beside it (in the generation, under
 *   `.tsbit/`, never served), so adding a package touches only the indices it is in and never
 *   reads the pool; and each index is kept in chunks by package name, so only the package's
 *   chunk is compressed again (gzip members and xz blocks of the others are reused);
 * - atomic: the pool file is in place before any index names it; a new generation is built whole
 *   in its own directory, signed, and swapped in with one rename of the `dists/<suite>` symlink;
 *   and `Acquire-By-Hash: yes` with the last few versions of every index under by-hash/, so a
 *   client that read the previous InRelease still gets the files whose hashes it holds;
 * - serialised per suite, in this process (the service runs as one replica per repository volume),
 *   and batched: what arrives while a generation is written goes into the next one together.
 */
export class AptRepository {
  private readonly batcher = new KeyedBatcher<AptPublishRequest, AptPublishResult>((suite, requests) => this.publishBatch(suite, requests), MAX_BATCH);
  private readonly loaded = new Map<string, LoadedSuite>();

  constructor(
    readonly root: string,
    private readonly signer: SigningKey,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private distsDir(): string {
    return path.join(this.root, 'dists');
  }

  private generationsDir(suite: string): string {
    return path.join(this.distsDir(), `.${suite}`);
  }

  /** Suites with a published Release. */
  async hasSuite(suite: string): Promise<boolean> {
    if (!SUITE_NAME.test(suite)) return false;
    return (await stat(path.join(this.distsDir(), suite, 'InRelease')).catch(() => undefined)) !== undefined;
  }

  publish(request: AptPublishRequest): Promise<AptPublishResult> {
    const { suite } = request;
    if (!SUITE_NAME.test(suite)) throw new PublishRefused(`suite "${suite}" cannot name a directory: letters, digits and "+_.-" only`);
    if (!ARCH_NAME.test(request.arch)) throw new PublishRefused(`arch "${request.arch}" cannot name a directory`);
    return this.batcher.submit(suite, request);
  }

  /** Every request of a batch into the suite's entry sets, then one new generation for all of them. */
  private async publishBatch(suite: string, requests: AptPublishRequest[]): Promise<(AptPublishResult | Error)[]> {
    const current = await this.load(suite);
    let work: Work = { sets: new Map(current.sets), changed: new Set(), arches: new Set(current.state.arches) };
    const outcomes: (AptPublishResult | Error)[] = [];
    for (const request of requests) {
      // A request that fails leaves the batch as it was before it.
      const before: Work = { sets: new Map(work.sets), changed: new Set(work.changed), arches: new Set(work.arches) };
      try {
        outcomes.push(await this.apply(suite, current.state.generation, work, request));
      } catch (error) {
        work = before;
        outcomes.push(error instanceof Error ? error : new Error(String(error)));
      }
    }
    const anyPublished = outcomes.some((outcome) => !(outcome instanceof Error));
    const changed = work.changed.size > 0 || work.arches.size !== current.state.arches.length || current.state.generation === 0;
    if (anyPublished && changed) await this.writeGeneration(suite, current, work.sets, work.changed, [...work.arches].sort());
    return outcomes;
  }

  private async apply(suite: string, generation: number, work: Work, request: AptPublishRequest): Promise<AptPublishResult> {
    const result: AptPublishResult = { packages: [], skipped: [] };
    work.arches.add(request.arch);
    const setFor = async (name: string): Promise<EntrySet> => {
      let set = work.sets.get(name);
      if (!set) {
        set = await this.readSet(suite, generation, name);
        work.sets.set(name, set);
      }
      return set;
    };
    // Copy on write: the sets of the generation being served, and of a failed request, stay as they were.
    const put = async (setName: string, entry: Entry): Promise<void> => {
      const set = { ...(await setFor(setName)) };
      const existing = set[entry.name];
      if (existing && compareDebianVersions(existing.version, entry.version) > 0) {
        result.skipped.push({ name: path.basename(entry.filename), reason: `${suite} has ${entry.name} ${existing.version}, newer than ${entry.version}` });
        return;
      }
      result.packages.push({ name: entry.name, version: entry.version, arch: entry.arch, filename: entry.filename });
      if (existing?.stanza === entry.stanza && existing.filename === entry.filename) return;
      set[entry.name] = entry;
      work.sets.set(setName, set);
      work.changed.add(`${setName}#${chunkOf(entry.name)}`);
    };

    for (const binary of request.binaries) {
      const control = parseStanza(await runText('dpkg-deb', ['--field', binary.path]));
      const name = field(control, 'Package') ?? '';
      const version = field(control, 'Version') ?? '';
      const arch = field(control, 'Architecture') ?? '';
      if (!PACKAGE_NAME.test(name)) throw new PublishRefused(`${binary.name}: Package "${name}" is not a Debian package name`);
      if (!isValidDebianVersion(version)) throw new PublishRefused(`${binary.name}: Version "${version}" is not a Debian version`);
      if (!ARCH_NAME.test(arch)) throw new PublishRefused(`${binary.name}: Architecture "${arch}" is not an architecture name`);
      if (arch !== 'all') work.arches.add(arch);
      const digests = await fileDigests(binary.path);
      if (digests.sha256 !== binary.sha256) throw new Error(`${binary.name}: the stored file no longer matches its sha256 ${binary.sha256}`);
      const sourceName = (field(control, 'Source') ?? name).split(/\s/)[0] as string;
      const filename = await placeImmutable(this.root, poolDirectory(sourceName), binary);
      const ordered: Stanza = [['Package', name], ...withoutFields(control, ['Package', 'Filename', 'Size', 'MD5sum', 'SHA1', 'SHA256'])];
      ordered.push(['Filename', filename], ['Size', String(digests.size)], ['MD5sum', digests.md5], ['SHA256', digests.sha256]);
      const family = binary.name.endsWith('.udeb') ? `${COMPONENT}/debian-installer` : COMPONENT;
      await put(`${family}/binary-${arch}`, { name, version, arch, filename, stanza: formatStanza(ordered) });
    }

    if (request.source) {
      const entry = await this.placeSource(request.source, result);
      if (entry) await put(`${COMPONENT}/source`, entry);
    }
    return result;
  }

  /** Puts a source package's files in the pool, all in one directory as its Sources stanza says. */
  private async placeSource(source: NonNullable<AptPublishRequest['source']>, result: AptPublishResult): Promise<Entry | undefined> {
    const dsc = parseStanza(clearsignedText(await readFile(source.dsc.path, 'utf8')));
    const name = field(dsc, 'Source') ?? '';
    const version = field(dsc, 'Version') ?? '';
    if (!PACKAGE_NAME.test(name)) throw new PublishRefused(`${source.dsc.name}: Source "${name}" is not a Debian package name`);
    if (!isValidDebianVersion(version)) throw new PublishRefused(`${source.dsc.name}: Version "${version}" is not a Debian version`);
    const listed = fileList(field(dsc, 'Checksums-Sha256'));
    const files: SourceFile[] = [];
    for (const item of listed) {
      const stored = source.files.find((file) => file.name === item.name);
      if (!stored || stored.sha256 !== item.hash) {
        result.skipped.push({ name: source.dsc.name, reason: `${item.name}, which it lists, was not uploaded with it` });
        return undefined;
      }
      files.push(stored);
    }
    const all = [source.dsc, ...files];
    let directory = poolDirectory(name);
    // One directory for all of a source package's files: a qualified one if any name is taken by other content.
    for (const file of all) {
      const placed = await placeImmutable(this.root, directory, file);
      if (path.posix.dirname(placed) !== directory) {
        directory = path.posix.join(poolDirectory(name), source.dsc.sha256.slice(0, 16));
        break;
      }
    }
    const digests = await Promise.all(all.map(async (file) => ({ file, placed: await placeImmutable(this.root, directory, file), ...(await fileDigests(file.path)) })));
    if (digests.some(({ placed }) => path.posix.dirname(placed) !== directory)) throw new PublishRefused(`${source.dsc.name}: its files cannot share one pool directory`);
    const stanza: Stanza = [
      ['Package', name],
      ...withoutFields(dsc, ['Source', 'Files', 'Checksums-Sha1', 'Checksums-Sha256', 'Checksums-Sha512', 'Directory']),
      ['Directory', directory],
      ['Files', '\n' + digests.map((item) => ` ${item.md5} ${item.size} ${item.file.name}`).join('\n')],
      ['Checksums-Sha256', '\n' + digests.map((item) => ` ${item.sha256} ${item.size} ${item.file.name}`).join('\n')],
    ];
    return { name, version, arch: 'source', filename: path.posix.join(directory, source.dsc.name), stanza: formatStanza(stanza) };
  }

  /** The suite as served now, from the generation `dists/<suite>` points at (or empty). */
  private async load(suite: string): Promise<LoadedSuite> {
    const target = await currentTarget(path.join(this.distsDir(), suite));
    const generation = target ? Number(path.basename(target)) : 0;
    const cached = this.loaded.get(suite);
    if (cached && cached.state.generation === generation) return cached;
    const state: SuiteState = generation > 0
      ? (JSON.parse(await readFile(path.join(this.generationsDir(suite), generationName(generation), STATE_DIR, SUITE_FILE), 'utf8')) as SuiteState)
      : { generation: 0, date: '', arches: [], indices: {} };
    const loaded = { state, sets: new Map<string, EntrySet>() };
    this.loaded.set(suite, loaded);
    return loaded;
  }

  /** An entry set, from its chunk files in the generation's state. */
  private async readSet(suite: string, generation: number, name: string): Promise<EntrySet> {
    if (generation === 0) return {};
    const dir = path.join(this.generationsDir(suite), generationName(generation), STATE_DIR, SETS_DIR);
    const prefix = `${flatName(name)}.`;
    const set: EntrySet = {};
    for (const file of await readdir(dir).catch(() => [] as string[])) {
      if (file.startsWith(prefix) && /^[0-9]+\.json$/.test(file.slice(prefix.length))) Object.assign(set, JSON.parse(await readFile(path.join(dir, file), 'utf8')) as EntrySet);
    }
    return set;
  }

  private async writeGeneration(suite: string, current: LoadedSuite, sets: Map<string, EntrySet>, changed: Set<string>, arches: string[]): Promise<void> {
    const previous = current.state;
    const generation = previous.generation + 1;
    const previousDir = path.join(this.generationsDir(suite), generationName(previous.generation));
    const dir = path.join(this.generationsDir(suite), generationName(generation));
    await rm(dir, { recursive: true, force: true });
    await mkdir(path.join(dir, STATE_DIR, SETS_DIR), { recursive: true });
    await mkdir(path.join(dir, STATE_DIR, CHUNKS_DIR), { recursive: true });

    const setOf = async (name: string): Promise<EntrySet> => {
      let set = sets.get(name);
      if (!set) {
        set = await this.readSet(suite, previous.generation, name);
        sets.set(name, set);
      }
      return set;
    };
    // Each index and the entry sets it is made of.
    const plan = new Map<string, { kind: 'Packages' | 'Sources'; sets: string[] }>();
    for (const family of [COMPONENT, `${COMPONENT}/debian-installer`]) {
      const all = await setOf(`${family}/binary-all`);
      for (const arch of arches) {
        const own = await setOf(`${family}/binary-${arch}`);
        if (family === COMPONENT || Object.keys(own).length > 0 || Object.keys(all).length > 0) {
          plan.set(`${family}/binary-${arch}`, { kind: 'Packages', sets: [`${family}/binary-${arch}`, `${family}/binary-all`] });
        }
      }
    }
    if (Object.keys(await setOf(`${COMPONENT}/source`)).length > 0) plan.set(`${COMPONENT}/source`, { kind: 'Sources', sets: [`${COMPONENT}/source`] });

    const indices: Record<string, IndexState> = {};
    await Promise.all(
      [...plan].map(async ([index, { kind, sets: members }]) => {
        const before = previous.indices[index];
        const dirty = new Set<number>();
        for (const key of changed) {
          const [set, chunk] = key.split('#') as [string, string];
          if (members.includes(set)) dirty.add(Number(chunk));
        }
        indices[index] =
          before !== undefined && dirty.size === 0
            ? await this.keepIndex(previousDir, dir, index, before)
            : await this.writeIndex(previousDir, dir, index, kind, before, members.map((member) => sets.get(member) ?? {}), before === undefined ? undefined : dirty);
      }),
    );
    // Entry sets, chunk by chunk: rewritten where changed, linked from the previous generation otherwise.
    const changedFiles = new Set([...changed].map((key) => setChunkFile(...(key.split('#') as [string, string]))));
    if (previous.generation > 0) {
      for (const file of await readdir(path.join(previousDir, STATE_DIR, SETS_DIR)).catch(() => [] as string[])) {
        if (!changedFiles.has(file)) await linkOrCopy(path.join(previousDir, STATE_DIR, SETS_DIR, file), path.join(dir, STATE_DIR, SETS_DIR, file));
      }
    }
    for (const key of changed) {
      const [name, chunk] = key.split('#') as [string, string];
      const entries = Object.fromEntries(Object.entries(sets.get(name) ?? {}).filter(([entryName]) => chunkOf(entryName) === Number(chunk)));
      if (Object.keys(entries).length > 0) await writeFileAtomic(path.join(dir, STATE_DIR, SETS_DIR, setChunkFile(name, chunk)), JSON.stringify(entries));
    }

    const date = this.releaseDate(previous.date);
    const release = renderRelease(suite, date, arches, indices);
    await writeFileAtomic(path.join(dir, 'Release'), release);
    await Promise.all([this.signer.clearsign(path.join(dir, 'Release'), path.join(dir, 'InRelease')), this.signer.detachSign(path.join(dir, 'Release'), path.join(dir, 'Release.gpg'), false)]);
    const state: SuiteState = { generation, date, arches, indices };
    await writeFileAtomic(path.join(dir, STATE_DIR, SUITE_FILE), JSON.stringify(state));

    await mkdir(this.distsDir(), { recursive: true });
    await swapSymlink(path.join(this.distsDir(), suite), path.posix.join(`.${suite}`, generationName(generation)));
    this.loaded.set(suite, { state, sets });
    await pruneGenerations(this.generationsDir(suite), KEEP_GENERATIONS, generationName(generation));
  }

  /** A Release date one second or more after the previous one would be ahead of the clock: never earlier than it. */
  private releaseDate(previous: string): string {
    const now = new Date(Math.floor(this.clock().getTime() / 1000) * 1000);
    const last = previous ? Date.parse(previous) : 0;
    return new Date(Math.max(now.getTime(), last)).toUTCString().replace('GMT', 'UTC');
  }

  private async keepIndex(previousDir: string, dir: string, index: string, before: IndexState): Promise<IndexState> {
    for (const name of Object.keys(before.files)) await linkOrCopy(path.join(previousDir, index, name), path.join(dir, index, name));
    for (const hash of before.byHash) await linkOrCopy(path.join(previousDir, index, 'by-hash', 'SHA256', hash), path.join(dir, index, 'by-hash', 'SHA256', hash));
    for (const chunk of Object.keys(before.chunks)) {
      for (const suffix of ['gz', 'xz']) await linkOrCopy(path.join(previousDir, STATE_DIR, CHUNKS_DIR, chunkFile(index, chunk, suffix)), path.join(dir, STATE_DIR, CHUNKS_DIR, chunkFile(index, chunk, suffix)));
    }
    return before;
  }

  /**
   * An index of chunks: the entries whose names hash to the same chunk, in chunk order. Only the
   * `dirty` chunks (all of them for a new index) are compressed again; the others' gzip members
   * and xz blocks are reused, and joined into one .gz and one .xz stream.
   */
  private async writeIndex(previousDir: string, dir: string, index: string, kind: 'Packages' | 'Sources', before: IndexState | undefined, members: EntrySet[], dirty: Set<number> | undefined): Promise<IndexState> {
    const byChunk = new Map<number, Entry[]>();
    for (const set of members) {
      for (const entry of Object.values(set)) {
        const chunk = chunkOf(entry.name);
        byChunk.set(chunk, [...(byChunk.get(chunk) ?? []), entry]);
      }
    }
    const chunks: Record<string, ChunkState> = {};
    const parts = await Promise.all(
      [...byChunk.keys()].sort((a, b) => a - b).map(async (chunk) => {
        const entries = (byChunk.get(chunk) as Entry[]).sort((a, b) => (a.name === b.name ? a.arch.localeCompare(b.arch) : a.name < b.name ? -1 : 1));
        const text = Buffer.from(entries.map((entry) => `${entry.stanza}\n`).join(''), 'utf8');
        const gzFile = path.join(dir, STATE_DIR, CHUNKS_DIR, chunkFile(index, String(chunk), 'gz'));
        const xzFile = path.join(dir, STATE_DIR, CHUNKS_DIR, chunkFile(index, String(chunk), 'xz'));
        const kept = before?.chunks[String(chunk)];
        if (kept && dirty && !dirty.has(chunk)) {
          await linkOrCopy(path.join(previousDir, STATE_DIR, CHUNKS_DIR, chunkFile(index, String(chunk), 'gz')), gzFile);
          await linkOrCopy(path.join(previousDir, STATE_DIR, CHUNKS_DIR, chunkFile(index, String(chunk), 'xz')), xzFile);
          chunks[String(chunk)] = kept;
          return { text, gz: await readFile(gzFile), xz: { bytes: await readFile(xzFile), unpadded: kept.unpadded, uncompressed: kept.uncompressed } };
        }
        const [gz, xz] = await Promise.all([gzipAsync(text, { level: GZIP_LEVEL }), compressBlock(text)]);
        await writeFile(gzFile, gz);
        await writeFile(xzFile, xz.bytes);
        chunks[String(chunk)] = { unpadded: xz.unpadded, uncompressed: xz.uncompressed };
        return { text, gz, xz };
      }),
    );
    const plain = Buffer.concat(parts.map((part) => part.text));
    const variants: [string, Buffer][] = [
      [kind, plain],
      // Concatenated gzip members are one gzip file (RFC 1952); an empty index is one empty member.
      [`${kind}.gz`, parts.length > 0 ? Buffer.concat(parts.map((part) => part.gz)) : await gzipAsync(Buffer.alloc(0))],
      [`${kind}.xz`, assembleStream(parts.map((part) => part.xz))],
    ];
    const files: Record<string, IndexFile> = {};
    for (const [name, data] of variants) {
      await writeFileAtomic(path.join(dir, index, name), data);
      files[name] = bufferDigests(data);
    }
    const fresh = variants.map(([name]) => (files[name] as IndexFile).sha256);
    const kept = (before?.byHash ?? []).filter((hash) => !fresh.includes(hash)).slice(0, (BY_HASH_KEEP - 1) * variants.length);
    for (const [name] of variants) await linkOrCopy(path.join(dir, index, name), path.join(dir, index, 'by-hash', 'SHA256', (files[name] as IndexFile).sha256));
    for (const hash of kept) {
      await linkOrCopy(path.join(previousDir, index, 'by-hash', 'SHA256', hash), path.join(dir, index, 'by-hash', 'SHA256', hash)).catch(() => undefined);
    }
    return { files, byHash: [...new Set([...fresh, ...kept])], chunks };
  }
}

/** The chunk an entry's index text lives in: a stable hash of its name (FNV-1a). */
export function chunkOf(name: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < name.length; index += 1) {
    hash ^= name.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % CHUNKS;
}

const flatName = (name: string): string => name.replace(/\//g, '_');
const setChunkFile = (name: string, chunk: string): string => `${flatName(name)}.${chunk}.json`;
const chunkFile = (index: string, chunk: string, suffix: string): string => `${flatName(index)}.${chunk}.${suffix}`;

/** Debian's pool layout: `pool/main/h/hello/`, `pool/main/libf/libfoo/`. */
export function poolDirectory(source: string): string {
  const prefix = source.startsWith('lib') && source.length > 3 ? source.slice(0, 4) : source.slice(0, 1);
  return path.posix.join('pool', COMPONENT, prefix, source);
}

export function renderRelease(suite: string, date: string, arches: string[], indices: Record<string, IndexState>): string {
  const lines = [
    'Origin: tsbit',
    'Label: tsbit',
    `Suite: ${suite}`,
    `Codename: ${suite}`,
    `Date: ${date}`,
    `Architectures: ${arches.join(' ')}`,
    `Components: ${COMPONENT}`,
    'Description: packages built by the tsbit build farm',
    'Acquire-By-Hash: yes',
  ];
  const listed = Object.entries(indices)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .flatMap(([index, state]) => Object.entries(state.files).map(([name, file]) => ({ path: `${index}/${name}`, ...file })));
  lines.push('MD5Sum:', ...listed.map((file) => ` ${file.md5} ${String(file.size).padStart(16)} ${file.path}`));
  lines.push('SHA256:', ...listed.map((file) => ` ${file.sha256} ${String(file.size).padStart(16)} ${file.path}`));
  return `${lines.join('\n')}\n`;
}
