import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactKind } from '@tsbit/domain';

/** A built file ready to upload, as the reports and ArtifactStored describe it. */
export interface LocalArtifact {
  path: string;
  name: string;
  kind: ArtifactKind;
  sha256: string;
  /** Bytes, as a decimal string (uint64 in canonical JSON). */
  size: string;
}

const KIND_BY_SUFFIX: readonly [string, ArtifactKind][] = [
  ['.udeb', 'udeb'],
  ['.ddeb', 'ddeb'],
  ['.deb', 'deb'],
  ['.rpm', 'rpm'],
  ['.dsc', 'dsc'],
  ['.changes', 'changes'],
  ['.buildinfo', 'buildinfo'],
  ['.log', 'log'],
];

/** The kind of a file, from its name. */
export function artifactKind(name: string): ArtifactKind {
  return KIND_BY_SUFFIX.find(([suffix]) => name.endsWith(suffix))?.[1] ?? 'other';
}

/** What dpkg-buildpackage and sbuild leave beside the source tree that is worth keeping. */
export const DEBIAN_RESULT_KINDS: ReadonlySet<ArtifactKind> = new Set(['deb', 'udeb', 'ddeb', 'buildinfo', 'changes']);

/**
 * The results of a Debian build: files that are in `dir` now and were not in `before` (so that
 * downloaded sources, such as an apt or dsc job's .dsc, are not taken for results), of a result
 * kind, sorted by name.
 */
export function debianResults(before: ReadonlySet<string>, after: readonly string[]): string[] {
  return after.filter((name) => !before.has(name) && DEBIAN_RESULT_KINDS.has(artifactKind(name))).sort();
}

export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

/** Every file under `dir` whose name ends with `suffix`, at any depth, sorted. */
export async function findFiles(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** Hashes a file as a stream: packages can be large. */
export async function describeArtifact(file: string, kind: ArtifactKind = artifactKind(path.basename(file))): Promise<LocalArtifact> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const { size } = await stat(file);
  return { path: file, name: path.basename(file), kind, sha256: hash.digest('hex'), size: String(size) };
}
