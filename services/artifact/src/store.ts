import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Files stored by their sha256: `<dir>/<first two hex digits>/<sha256>`. The same content is
 * stored once however often it is uploaded; a file is only ever renamed into place whole, after
 * its hash was checked, so a reader never sees a partial or wrong file.
 */
export class ContentStore {
  constructor(readonly dir: string) {}

  pathOf(sha256: string): string {
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  async has(sha256: string): Promise<boolean> {
    return access(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }

  /** Streams `body` to disk while hashing; keeps it only if its hash is `expected`. */
  async put(body: Readable, expected: string, maxBytes: number): Promise<{ stored: boolean; sha256: string; size: number }> {
    await mkdir(path.join(this.dir, 'incoming'), { recursive: true });
    const temporary = path.join(this.dir, 'incoming', `${randomBytes(8).toString('hex')}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new RangeError(`the upload exceeds ${maxBytes} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(temporary, { flags: 'wx' }));
      const sha256 = hash.digest('hex');
      if (sha256 !== expected) {
        await rm(temporary, { force: true });
        return { stored: false, sha256, size };
      }
      await mkdir(path.dirname(this.pathOf(sha256)), { recursive: true });
      await rename(temporary, this.pathOf(sha256));
      return { stored: true, sha256, size };
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async open(sha256: string): Promise<{ stream: Readable; size: number } | undefined> {
    const file = this.pathOf(sha256);
    const info = await stat(file).catch(() => undefined);
    return info ? { stream: createReadStream(file), size: info.size } : undefined;
  }

  async verify(sha256: string): Promise<boolean> {
    const hash = createHash('sha256');
    await pipeline(createReadStream(this.pathOf(sha256)), hash);
    return hash.digest('hex') === sha256;
  }

  async writable(): Promise<boolean> {
    await mkdir(this.dir, { recursive: true });
    return access(this.dir).then(
      () => true,
      () => false,
    );
  }
}
