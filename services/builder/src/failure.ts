import type { FailureClass } from '@tsbit/domain';

/** Longest failure message sent in a report: one line, for lists and notifications. */
const MAX_MESSAGE_CHARS = 400;
/** How many meaningful error lines of the log make up the message. */
const MESSAGE_LINES = 2;

/**
 * Why a build did not succeed, classified for the scheduler: `package` failures are the
 * package's fault and are not retried; `infrastructure` failures are the builder's and are
 * retried elsewhere. `fromLog` says the build log explains it better than `message` does.
 */
export class BuildFailure extends Error {
  constructor(
    readonly failureClass: FailureClass,
    readonly code: string,
    message: string,
    readonly fromLog = false,
  ) {
    super(message);
    this.name = 'BuildFailure';
  }
}

/** A source that must not be handed to a tool: the package's (the submitter's) fault. */
export const invalidSource = (message: string): BuildFailure => new BuildFailure('package', 'invalid_source', message);

const ERROR_LINE = /\b(error|failed|failure|fatal|cannot|unable|unmet|not found|no such file|denied)\b|^E: /i;
/** Lines that only say that something below failed; the line that says why comes before them. */
const WRAPPER_LINE = [
  /^make(\[\d+\])?: \*\*\* /,
  /subprocess returned exit status/,
  /^dh(_\w+)?: error: .*returned exit code/,
  /^dpkg-buildpackage: error: /,
  /^error: Bad exit status from /,
  /^RPM build errors:/,
];

/**
 * The failure's message for people: the last lines of the log that say what went wrong, on one
 * line. Wrapper lines (make's `*** Error 2`, dpkg-buildpackage's exit status) are used only when
 * nothing better is there.
 */
export function summarizeLog(logTail: string): string | undefined {
  const lines = logTail
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const errors = lines.filter((line) => ERROR_LINE.test(line));
  const meaningful = errors
    .filter((line) => !WRAPPER_LINE.some((wrapper) => wrapper.test(line)))
    // make echoes a command before its output: `echo "error: x"` then `error: x`; keep the output.
    .filter((line, index, all) => !all.slice(index + 1).some((later) => line !== later && line.includes(later)));
  const chosen = meaningful.length > 0 ? meaningful.slice(-MESSAGE_LINES) : errors.slice(-1);
  const picked = chosen.length > 0 ? chosen : lines.slice(-1);
  if (picked.length === 0) return undefined;
  return oneLine(picked.join(' / '));
}

export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE_CHARS ? `${flat.slice(0, MAX_MESSAGE_CHARS - 1)}…` : flat;
}

/**
 * The build dependencies a log says could not be installed, by name: apt's "Depends: foo (>= 1)
 * but it is not installable" (sbuild's resolver), dose's "unsat-dependency: foo:amd64 (>= 1)"
 * (sbuild's explanation), and dpkg-checkbuilddeps' "Unmet build dependencies: foo (>= 1) bar".
 * Architecture qualifiers (`:amd64`, `:any`) are dropped: the farm publishes by package name.
 */
export function unmetBuildDependencies(logTail: string): string[] {
  const names = new Set<string>();
  const add = (name: string | undefined): void => {
    const bare = name?.replace(/:[a-z0-9-]+$/, '');
    if (bare && PACKAGE_NAME.test(bare) && !bare.startsWith('sbuild-build-depends-')) names.add(bare);
  };
  for (const match of logTail.matchAll(/Depends: (\S+)(?: \([^)]*\))? but (?:it is not (?:installable|going to be installed)|\S+ is to be installed)/g)) add(match[1]);
  for (const match of logTail.matchAll(/unsat-dependency: (\S+)/g)) add(match[1]);
  for (const match of logTail.matchAll(/Unmet build dependencies: (.*)$/gm)) {
    for (const token of (match[1] ?? '').replace(/\([^)]*\)|\[[^\]]*\]|<[^>]*>/g, ' ').split(/[\s,|]+/)) add(token);
  }
  return [...names].sort();
}

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/** Failures that the log shows to be the machine's, or the archive's, rather than the package's. */
export function classifyFromLog(logTail: string): { failureClass: FailureClass; code: string } | undefined {
  if (/No space left on device/i.test(logTail)) return { failureClass: 'infrastructure', code: 'disk_full' };
  // sbuild's unshare mode, when the machine changed under a build that its probe let through.
  if (/^(Chroot \S+ does not exist|Unable to find \S+ in \S+|\S+ (does not exist, check \$unshare_tarball|is not readable)$)/m.test(logTail)) {
    return { failureClass: 'infrastructure', code: 'chroot_missing' };
  }
  if (/^(\/etc\/sub[ug]id (doesn't exist|is not readable)|No entry for \S+ in \/etc\/sub[ug]id|invalid idmap)/m.test(logTail)) {
    return { failureClass: 'infrastructure', code: 'no_subuid_range' };
  }
  if (/^E: unable to to unshare/m.test(logTail)) return { failureClass: 'infrastructure', code: 'unshare_unavailable' };
  // sbuild: build dependencies could not be installed; dpkg-buildpackage/rpmbuild: not installed.
  if (
    /Fail-Stage:\s*install-deps/i.test(logTail) ||
    /^Status:\s*dep-wait/im.test(logTail) ||
    /Unmet build dependencies/i.test(logTail) ||
    /Failed build dependencies:/i.test(logTail)
  ) {
    return { failureClass: 'package', code: 'dependency_wait' };
  }
  return undefined;
}
