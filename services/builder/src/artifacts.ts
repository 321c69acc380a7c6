import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactKind } from '@tsbit/domain';
import { BuildFailure } from './failure';
import type { StepContext } from './step';

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

/** The rpm ARCH values that a Debian architecture's binaries carry (rpm's names differ from dpkg's). */
const RPM_ARCHES: Readonly<Record<string, readonly string[]>> = {
  amd64: ['x86_64'],
  i386: ['i386', 'i486', 'i586', 'i686'],
  arm64: ['aarch64'],
  armhf: ['armv7hl', 'armv7l'],
  ppc64el: ['ppc64le'],
  s390x: ['s390x'],
  riscv64: ['riscv64'],
};
const DEB_KINDS: ReadonlySet<ArtifactKind> = new Set(['deb', 'udeb', 'ddeb']);

export function rpmArchesFor(debianArch: string): readonly string[] {
  return RPM_ARCHES[debianArch] ?? [debianArch];
}

/** A .deb belongs to a job for `jobArch` if it is built for it, or for every architecture. */
export function debArchitectureFits(jobArch: string, packageArch: string): boolean {
  return packageArch === jobArch || packageArch === 'all';
}

export function rpmArchitectureFits(jobArch: string, packageArch: string): boolean {
  return packageArch === 'noarch' || rpmArchesFor(jobArch).includes(packageArch);
}

/** A built package whose architecture is not the job's. */
export interface ArchitectureMismatch {
  file: string;
  arch: string;
}

/**
 * Reads the architecture of every binary package a build made (dpkg-deb -f, rpm -qp) and returns
 * those that are neither the job's nor architecture-independent. Source rpms (no SOURCERPM) carry
 * the build host's arch and are not binaries: they are skipped.
 */
export async function findArchitectureMismatches(ctx: StepContext, files: readonly string[], jobArch: string): Promise<ArchitectureMismatch[]> {
  const mismatches: ArchitectureMismatch[] = [];
  for (const file of files) {
    const kind = artifactKind(path.basename(file));
    if (DEB_KINDS.has(kind)) {
      const arch = (await query(ctx, file, 'dpkg-deb', ['--field', '--', file, 'Architecture'])).trim();
      if (!debArchitectureFits(jobArch, arch)) mismatches.push({ file: path.basename(file), arch });
    } else if (kind === 'rpm') {
      const [arch = '', sourceRpm = ''] = (await query(ctx, file, 'rpm', ['-qp', '--nosignature', '--qf', '%{ARCH}\\t%{SOURCERPM}\\n', '--', file])).trim().split('\t');
      if (sourceRpm !== '(none)' && !rpmArchitectureFits(jobArch, arch)) mismatches.push({ file: path.basename(file), arch });
    }
  }
  return mismatches;
}

/**
 * The failure that a mislabelled binary causes; nothing of the build is uploaded but its log. It
 * is the package's, except for an rpm job for another architecture than the builder's: rpmbuild
 * builds for the machine it runs on, so that is the builder's shortcoming.
 */
export function wrongArchitecture(job: { arch: string; format: string }, hostArch: string, mismatches: readonly ArchitectureMismatch[]): BuildFailure {
  const list = mismatches.map(({ file, arch }) => `${file} is ${arch || 'of no architecture'}`).join(', ');
  if (job.format === 'rpm' && job.arch !== hostArch) {
    return new BuildFailure('infrastructure', 'arch_unsupported', `rpmbuild builds for this builder's architecture (${hostArch}), not for ${job.arch}: ${list}`);
  }
  return new BuildFailure('package', 'wrong_architecture', `built for the wrong architecture (the job is for ${job.arch}): ${list}`);
}

async function query(ctx: StepContext, file: string, command: string, args: string[]): Promise<string> {
  const result = await ctx.exec({ command, args }, { cwd: ctx.jobDir, captureStdout: true });
  if (result.exitCode !== 0) throw new BuildFailure('package', 'invalid_package', `${command} cannot read ${path.basename(file)}: not a valid package`);
  return result.stdout;
}
