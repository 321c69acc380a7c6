import { reason, type FailureClass, type PublishedPackage, type Reason } from '@tsbit/domain';

/** The builder's code for build dependencies that cannot be installed yet. */
export const DEPENDENCY_WAIT_CODE = 'dependency_wait';
/** The longest back-off before a job in dependency wait is queued again. */
export const MAX_DEPENDENCY_WAIT_BACKOFF_MS = 30 * 60_000;

export interface ReportedFailure {
  failureClass: FailureClass;
  code: string;
  message: string;
}

export interface ClassifiedFailure {
  failureClass: FailureClass;
  reason: Reason;
  /** Build dependencies not installable yet: the job waits for them, Blocked, and is tried again. */
  dependencyWait: boolean;
}

/**
 * How a builder's failure is recorded. A dependency wait is the world not being ready rather than
 * the package being broken, so it is recorded as an infrastructure failure whatever class the
 * builder gave it, and the job decider retries it without limit.
 */
export function classifyFailure(failure: ReportedFailure): ClassifiedFailure {
  const text = failure.message === '' ? failure.code : `${failure.code}: ${failure.message}`;
  if (failure.code === DEPENDENCY_WAIT_CODE) {
    return { failureClass: 'infrastructure', reason: reason('dependency_wait', text), dependencyWait: true };
  }
  if (failure.failureClass === 'package') return { failureClass: 'package', reason: reason('package_failure', text), dependencyWait: false };
  return { failureClass: 'infrastructure', reason: reason('infrastructure_failure', text), dependencyWait: false };
}

/**
 * How long a job in dependency wait stays Blocked before it is queued again: the base after the
 * first wait, doubling with each further one (`retries` is the count of automatic retries so
 * far, the one just granted included), capped.
 */
export function dependencyWaitBackoffMs(baseMs: number, retries: number): number {
  const doublings = Math.max(0, Math.min(retries - 1, 20));
  return Math.min(MAX_DEPENDENCY_WAIT_BACKOFF_MS, baseMs * 2 ** doublings);
}

/** The reason a job in dependency wait shows while Blocked. */
export function dependencyWaitReason(failure: ReportedFailure, backoffMs: number, awaited: string[] = []): Reason {
  const detail = failure.message === '' ? '' : ` (${failure.message})`;
  const until = awaited.length === 0 ? '' : ` or as soon as the farm builds ${awaited.join(' or ')}`;
  return reason('dependency_wait', `build dependencies not installable yet${detail}; queued again after ${Math.ceil(backoffMs / 1000)} s${until}`);
}

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/**
 * The package names a dependency wait's message says are missing: dpkg-checkbuilddeps' and
 * sbuild's "Unmet build dependencies: libfoo-dev (>= 1.2) bar | baz", and rpmbuild's
 * "foo-devel >= 1 is needed by ...". Alternatives count each: any of them arriving may do.
 * Empty when the message names none; the job then waits out its back-off only.
 */
export function missingBuildDependencies(message: string): string[] {
  const names = new Set<string>();
  const unmet = /(?:unmet|missing) build dependencies:\s*(.*?)(?:\s+\/\s+|;|$)/i.exec(message);
  if (unmet?.[1]) {
    const relations = unmet[1].replace(/\([^)]*\)|\[[^\]]*\]|<[^>]*>/g, ' ');
    for (const token of relations.split(/[\s,|]+/)) {
      const name = token.replace(/:(any|native|[a-z0-9-]+)$/, '');
      if (PACKAGE_NAME.test(name)) names.add(name);
    }
  }
  for (const needed of message.matchAll(/(\S+)(?:\s*[<>=]+\s*\S+)?\s+is needed by/g)) {
    if (needed[1] && PACKAGE_NAME.test(needed[1].toLowerCase())) names.add(needed[1].toLowerCase());
  }
  return [...names];
}

/**
 * The packages a publication made installable from the farm's repository, by name: each binary
 * package now in the suite's indices, and the source package if it was published too.
 */
export function publishedPackages(packages: PublishedPackage[]): string[] {
  return [...new Set(packages.map((item) => item.name))];
}
