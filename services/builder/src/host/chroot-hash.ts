import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/**
 * sha256 of a chroot tarball, remembered by path, mtime and size: a tarball is hundreds of MiB
 * and is only remade by make-chroot.sh (a rename, so a new mtime), so every build after the
 * first costs one stat.
 */
const known = new Map<string, Promise<string>>();

export async function chrootSha256(file: string): Promise<string> {
  const { mtimeMs, size } = await stat(file);
  const key = `${file}\0${mtimeMs}\0${size}`;
  let hash = known.get(key);
  if (!hash) {
    for (const other of known.keys()) if (other.startsWith(`${file}\0`)) known.delete(other);
    hash = sha256OfFile(file);
    known.set(key, hash);
    // A failed read must not be remembered.
    hash.catch(() => known.delete(key));
  }
  return hash;
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
