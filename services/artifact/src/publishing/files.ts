import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, readdir, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A stored file to be published: its content-store path and what it is called. */
export interface SourceFile {
  name: string;
  path: string;
  sha256: string;
  size: number;
}

export async function fileDigests(file: string): Promise<{ md5: string; sha256: string; size: number }> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    md5.update(chunk);
    sha256.update(chunk);
    size += chunk.length;
  }
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex'), size };
}

export function bufferDigests(data: Buffer): { md5: string; sha256: string; size: number } {
  return { md5: createHash('md5').update(data).digest('hex'), sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
}

/** Written whole under a temporary name, then renamed: a reader sees the old file or the new one. */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, file);
}

/** A hard link where the file system allows one (the store's files never change), a copy otherwise. */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true });
  const temporary = `${to}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await link(from, temporary);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw error;
    await copyFile(from, temporary);
  }
  await rename(temporary, to);
}

/**
 * Places a content-store file at `<dir>/<name>` unless a different file of that name is there
 * already (a rebuild of the same version): then at `<dir>/<sha256 prefix>/<name>`. A published
 * file is never replaced, so a client holding an older index still gets what that index names.
 */
export async function placeImmutable(root: string, dir: string, file: SourceFile): Promise<string> {
  for (const relative of [path.posix.join(dir, file.name), path.posix.join(dir, file.sha256.slice(0, 16), file.name)]) {
    const target = path.join(root, relative);
    const existing = await stat(target).catch(() => undefined);
    if (!existing) {
      await linkOrCopy(file.path, target);
      return relative;
    }
    if (existing.size === file.size && (await fileDigests(target)).sha256 === file.sha256) return relative;
  }
  throw new Error(`${dir}/${file.name}: two different files with the same sha256 prefix`);
}

/**
 * Points `link` at `target` in one rename: a reader resolving `link` sees the whole old tree or
 * the whole new one, never a mix.
 */
export async function swapSymlink(link: string, target: string): Promise<void> {
  const temporary = `${link}.${randomBytes(6).toString('hex')}.tmp`;
  await symlink(target, temporary);
  await rename(temporary, link);
}

export async function currentTarget(link: string): Promise<string | undefined> {
  return readlink(link).catch(() => undefined);
}

/** Generation directories are named by a zero-padded counter, so that names sort as numbers. */
export const generationName = (generation: number): string => String(generation).padStart(10, '0');

/** Removes all but the newest `keep` generations in `dir` (never the one in use). */
export async function pruneGenerations(dir: string, keep: number, inUse: string): Promise<void> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => /^[0-9]{10}$/.test(name)).sort();
  for (const name of names.slice(0, Math.max(0, names.length - keep))) {
    if (name !== inUse) await rm(path.join(dir, name), { recursive: true, force: true });
  }
}

/**
 * Per-key batches: the work for one key (a suite) runs one batch at a time, and whatever arrives
 * meanwhile is handled together in the next batch, so that under load many publishes share one
 * new generation of the indices instead of queueing for one each. `process` answers each request
 * with its result or its own error; a throw fails the whole batch.
 */
export class KeyedBatcher<Request, Result> {
  private readonly queues = new Map<string, { request: Request; resolve: (result: Result) => void; reject: (error: unknown) => void }[]>();
  private readonly running = new Set<string>();

  constructor(
    private readonly process: (key: string, requests: Request[]) => Promise<(Result | Error)[]>,
    private readonly maxBatch: number,
  ) {}

  submit(key: string, request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const queue = this.queues.get(key) ?? [];
      queue.push({ request, resolve, reject });
      this.queues.set(key, queue);
      void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    if (this.running.has(key)) return;
    this.running.add(key);
    try {
      for (;;) {
        const queue = this.queues.get(key);
        if (!queue || queue.length === 0) break;
        const batch = queue.splice(0, this.maxBatch);
        try {
          const results = await this.process(key, batch.map((item) => item.request));
          batch.forEach((item, index) => {
            const result = results[index];
            if (result instanceof Error) item.reject(result);
            else item.resolve(result as Result);
          });
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.running.delete(key);
      this.queues.delete(key);
    }
  }
}
