import type { BuildInputs, JobStatus } from '@tsbit/domain';

/** What a rebuild check says: still to build, the same binaries, other binaries, or no rebuild to compare. */
export type RebuildCheckStatus = 'pending' | 'identical' | 'different' | 'failed';

/** The binary packages a rebuild is compared by: logs, .buildinfo (it records the build date and host) and .changes differ every time. */
const COMPARED_KINDS: ReadonlySet<string> = new Set(['deb', 'udeb', 'rpm']);

/** The recorded inputs compared: everything that says what was built with what, not the lintian verdict. */
const COMPARED_INPUTS = ['sourceFiles', 'sourceRevision', 'sourceTreeSha256', 'chroot', 'chrootSha256', 'backend', 'backendVersion', 'buildinfo', 'mode'] as const;
export type ComparedInput = (typeof COMPARED_INPUTS)[number];

export interface BuiltFile {
  name: string;
  sha256: string;
  kind: string;
}

export interface RebuiltFile {
  name: string;
  /** null: the build did not make a file of that name. */
  originalSha256: string | null;
  rebuiltSha256: string | null;
  identical: boolean;
}

export interface BuildComparison {
  files: RebuiltFile[];
  /** The binaries are bit-for-bit the same: the same names, each with the same sha256, and at least one. */
  identical: boolean;
  /** The recorded inputs that differ between the two builds (inputs not recorded on one side count as differing). */
  inputsDiffer: ComparedInput[];
}

const binaries = (files: readonly BuiltFile[]): Map<string, string> => new Map(files.filter((file) => COMPARED_KINDS.has(file.kind)).map((file) => [file.name, file.sha256]));

/**
 * Compares a build with its rebuild: the binary packages by name and sha256, and the recorded
 * inputs field by field. A rebuild that made no binary at all is not called identical.
 */
export function compareBuilds(
  original: { files: readonly BuiltFile[]; inputs: BuildInputs | null },
  rebuilt: { files: readonly BuiltFile[]; inputs: BuildInputs | null },
): BuildComparison {
  const before = binaries(original.files);
  const after = binaries(rebuilt.files);
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  const files = names.map((name) => {
    const originalSha256 = before.get(name) ?? null;
    const rebuiltSha256 = after.get(name) ?? null;
    return { name, originalSha256, rebuiltSha256, identical: originalSha256 !== null && originalSha256 === rebuiltSha256 };
  });
  const inputsDiffer = COMPARED_INPUTS.filter((field) => {
    if (original.inputs === null && rebuilt.inputs === null) return false;
    return JSON.stringify(original.inputs?.[field] ?? null) !== JSON.stringify(rebuilt.inputs?.[field] ?? null);
  });
  return { files, identical: files.length > 0 && files.every((file) => file.identical), inputsDiffer };
}

/** A rebuild check's status from its job's status and, once Done, the comparison. */
export function rebuildCheckStatus(status: JobStatus, comparison: BuildComparison | null): RebuildCheckStatus {
  switch (status) {
    case 'Done':
    case 'Uploaded':
      return comparison === null ? 'pending' : comparison.identical ? 'identical' : 'different';
    case 'Failed':
    case 'Cancelled':
      return 'failed';
    default:
      return 'pending';
  }
}
