import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/** A build log: the log of one attempt of one job. */
export interface LogKey {
  jobId: number;
  attempt: number;
}

/** Written once, when the builder says the log is whole; no byte is appended after it. */
export interface Completion {
  size: number;
  sha256: string;
  completedAt: string;
}

export interface LogInfo {
  path: string;
  size: number;
  complete?: Completion;
}

/** Why an append or a completion was refused; the routes turn each into its HTTP status. */
export type LogRefusal =
  /** The append does not start at (or inside) what is stored: `size` says where to go on from. */
  | { code: 'offset_mismatch'; size: number }
  /** The bytes of a repeated append differ from those stored at the same offsets. */
  | { code: 'content_mismatch'; size: number }
  /** The log was completed: it takes no new bytes. */
  | { code: 'log_complete'; size: number }
  /** The append would take the log past the limit. */
  | { code: 'log_too_large'; size: number; limit: number }
  /** The completion names a sha256 that is not that of the stored bytes. */
  | { code: 'checksum_mismatch'; size: number; sha256: string };

export class LogRefused extends Error {
  constructor(readonly refusal: LogRefusal) {
    super(refusal.code);
    this.name = 'LogRefused';
  }
}

export const logKeyString = (key: LogKey): string => `${key.jobId}/${key.attempt}`;

/** Completion records kept in memory (about 100 bytes each). */
const COMPLETIONS_CACHED = 10_000;

/**
 * Live build logs on disk: `<dir>/<job>/<attempt>.log`, appended to while the build runs, and
 * `<attempt>.complete.json` once it is whole. Appends name the offset they start at, so a retried
 * append (its answer lost on the way) is recognised and not stored twice; the bytes never pass
 * through memory beyond one append's body.
 *
 * Appends and completions of one log are serialised in this process. That is enough because one
 * artifact service owns the store (its volume is ReadWriteOnce); readers need no lock, since a
 * file only grows and the completion record is renamed into place whole.
 */
export class LiveLogStore {
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Completion records read or written lately: they never change, and reads of whole logs ask for them first. */
  private readonly completions = new Map<string, Completion>();

  constructor(
    readonly dir: string,
    readonly limitBytes: number,
  ) {}

  logPath(key: LogKey): string {
    return path.join(this.dir, String(key.jobId), `${key.attempt}.log`);
  }

  private completionPath(key: LogKey): string {
    return path.join(this.dir, String(key.jobId), `${key.attempt}.complete.json`);
  }

  /** The log as it is now, or undefined if no byte of it was ever appended. */
  async info(key: LogKey): Promise<LogInfo | undefined> {
    const file = this.logPath(key);
    // A completed log is exactly as long as its completion says, even if a write was torn.
    const complete = await this.completion(key);
    if (complete) return { path: file, size: complete.size, complete };
    const stats = await stat(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    // Completed since the look above? Then its size is this one (a completion checks it); the
    // completion itself is seen at the next look, which its notification causes.
    return stats ? { path: file, size: stats.size } : undefined;
  }

  private async completion(key: LogKey): Promise<Completion | undefined> {
    const id = logKeyString(key);
    const cached = this.completions.get(id);
    if (cached) return cached;
    const text = await readFile(this.completionPath(key), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) return undefined;
    const completion = JSON.parse(text) as Completion;
    this.remember(id, completion);
    return completion;
  }

  private remember(id: string, completion: Completion): void {
    this.completions.set(id, completion);
    if (this.completions.size > COMPLETIONS_CACHED) this.completions.delete(this.completions.keys().next().value as string);
  }

  /**
   * Appends `body` at `offset`. Bytes before the stored size must be the ones stored (a retry);
   * only what lies beyond is written. Returns the size after the append and how much was new.
   */
  append(key: LogKey, offset: number, body: Buffer): Promise<{ size: number; written: number }> {
    return this.serialised(key, async () => {
      const file = this.logPath(key);
      await mkdir(path.dirname(file), { recursive: true });
      const handle = await open(file, 'a+');
      try {
        const size = (await handle.stat()).size;
        const complete = await this.completion(key);
        if (offset > size) throw new LogRefused({ code: 'offset_mismatch', size });
        const overlap = Math.min(size - offset, body.length);
        if (overlap > 0) {
          const stored = Buffer.alloc(overlap);
          await handle.read(stored, 0, overlap, offset);
          if (!stored.equals(body.subarray(0, overlap))) throw new LogRefused({ code: 'content_mismatch', size });
        }
        const rest = body.subarray(overlap);
        if (rest.length === 0) return { size, written: 0 };
        if (complete) throw new LogRefused({ code: 'log_complete', size });
        if (size + rest.length > this.limitBytes) throw new LogRefused({ code: 'log_too_large', size, limit: this.limitBytes });
        // Opened for appending: the write lands at the end, which is `size` under the lock.
        await handle.write(rest);
        return { size: size + rest.length, written: rest.length };
      } finally {
        await handle.close();
      }
    });
  }

  /**
   * Marks the log whole, after checking that it is `size` bytes with sha256 `sha256` (read back
   * from disk as a stream). Repeating the same completion is harmless; it answers `repeated`.
   */
  complete(key: LogKey, size: number, sha256: string, now: Date): Promise<{ completion: Completion; repeated: boolean; path: string }> {
    return this.serialised(key, async () => {
      const file = this.logPath(key);
      const existing = await this.completion(key);
      if (existing) {
        if (existing.size !== size || existing.sha256 !== sha256) throw new LogRefused({ code: 'log_complete', size: existing.size });
        return { completion: existing, repeated: true, path: file };
      }
      const stored = await stat(file).then(
        (stats) => stats.size,
        () => 0,
      );
      if (stored !== size) throw new LogRefused({ code: 'offset_mismatch', size: stored });
      if (stored === 0) {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, '', { flag: 'a' });
      }
      const hash = createHash('sha256');
      await pipeline(createReadStream(file), hash);
      const actual = hash.digest('hex');
      if (actual !== sha256) throw new LogRefused({ code: 'checksum_mismatch', size, sha256: actual });
      const completion: Completion = { size, sha256, completedAt: now.toISOString() };
      const temporary = `${this.completionPath(key)}.part`;
      await writeFile(temporary, JSON.stringify(completion));
      await rename(temporary, this.completionPath(key));
      this.remember(logKeyString(key), completion);
      return { completion, repeated: false, path: file };
    });
  }

  /** Runs `work` after every earlier append or completion of the same log has settled. */
  private serialised<T>(key: LogKey, work: () => Promise<T>): Promise<T> {
    const id = logKeyString(key);
    const previous = this.queues.get(id) ?? Promise.resolve();
    const result = previous.then(work, work);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(id, settled);
    void settled.then(() => {
      if (this.queues.get(id) === settled) this.queues.delete(id);
    });
    return result;
  }
}
