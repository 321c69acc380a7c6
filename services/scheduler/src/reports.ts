import { canonicalMessage } from '@tsbit/contracts';
import type { ArchSupport, ArchUnavailable, Artifact, ArtifactKind, BuildInputs, BuildMode, Capabilities, FailureClass, LintianResult } from '@tsbit/domain';

/** Builder names end up in a stream id, a queue name and a routing key. */
const BUILDER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,199}$/;
/** A part of a routing key `<format>.<suite>.<arch>` (as @tsbit/messaging's buildRoutingKey requires). */
const ROUTING_KEY_PART = /^[a-z0-9][a-z0-9+_-]*$/i;
const SHA256 = /^[0-9a-f]{64}$/;
const MAX_SLOTS = 1000;
const ARTIFACT_KINDS: readonly ArtifactKind[] = ['deb', 'udeb', 'ddeb', 'rpm', 'dsc', 'changes', 'buildinfo', 'log', 'other'];
const FAILURE_CLASSES: readonly FailureClass[] = ['package', 'infrastructure'];
const BUILD_MODES: readonly BuildMode[] = ['native', 'cross', 'emulated'];
/** Longest free-text field of a build's inputs (a tool's version line, a revision). */
const MAX_INPUT_TEXT = 200;
/** Longest reason, or fix command, a hello gives for an arch it cannot build. */
const MAX_GAP_TEXT = 1000;

export interface AttemptRef {
  jobId: number;
  attempt: number;
}

/** A BuilderReport, checked: exactly one kind of report, every field within its rule. */
export type BuilderReport = { builder: string } & (
  | { kind: 'hello'; capabilities: Capabilities }
  | { kind: 'heartbeat'; running: AttemptRef[] }
  | ({ kind: 'started'; mode: BuildMode | '' } & AttemptRef)
  | ({ kind: 'succeeded'; artifacts: Artifact[]; inputs?: BuildInputs } & AttemptRef)
  | ({ kind: 'failed'; failureClass: FailureClass; code: string; message: string; artifacts: Artifact[] } & AttemptRef)
  | ({ kind: 'cancelled' } & AttemptRef)
);

/** A report that can never be handled: dead-lettered with this message. */
export class MalformedReport extends Error {
  constructor(
    readonly field: string,
    rule: string,
  ) {
    super(`BuilderReport.${field}: ${rule}`);
    this.name = 'MalformedReport';
  }
}

const REPORT_KINDS = ['hello', 'heartbeat', 'started', 'succeeded', 'failed', 'cancelled'] as const;

type Json = Record<string, unknown>;

function positive(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new MalformedReport(field, 'must be a positive integer');
  return value;
}

function attemptRef(body: Json, field: string): AttemptRef {
  return { jobId: positive(body['jobId'], `${field}.jobId`), attempt: positive(body['attempt'], `${field}.attempt`) };
}

function names(value: unknown, field: string): string[] {
  const list = value as string[];
  if (list.length === 0) throw new MalformedReport(field, 'must list at least one');
  list.forEach((name, index) => {
    if (!ROUTING_KEY_PART.test(name)) throw new MalformedReport(`${field}[${index}]`, `"${name}" must be letters, digits, "+", "_" and "-", starting with a letter or digit`);
  });
  return [...list];
}

function artifacts(value: unknown, field: string): Artifact[] {
  return (value as Json[]).map((artifact, index) => {
    const at = `${field}[${index}]`;
    const name = artifact['name'] as string;
    if (name === '' || name.includes('/')) throw new MalformedReport(`${at}.name`, 'must be a file name');
    const sha256 = artifact['sha256'] as string;
    if (!SHA256.test(sha256)) throw new MalformedReport(`${at}.sha256`, 'must be 64 lower-case hex digits');
    const kind = artifact['kind'] as ArtifactKind;
    if (!ARTIFACT_KINDS.includes(kind)) throw new MalformedReport(`${at}.kind`, `must be one of ${ARTIFACT_KINDS.join(', ')}`);
    return { name, sha256, size: String(artifact['size']), kind };
  });
}

function mode(value: unknown, field: string): BuildMode | '' {
  const given = value as BuildMode | '';
  if (given !== '' && !BUILD_MODES.includes(given)) throw new MalformedReport(field, `must be one of ${BUILD_MODES.join(', ')}`);
  return given;
}

const optionalSha256 = (value: unknown, field: string): string => {
  if (value !== '' && !SHA256.test(value as string)) throw new MalformedReport(field, 'must be empty or 64 lower-case hex digits');
  return value as string;
};
const optionalFileName = (value: unknown, field: string): string => {
  if ((value as string).includes('/')) throw new MalformedReport(field, 'must be a file name');
  return value as string;
};
const text = (value: unknown, field: string): string => {
  if ((value as string).length > MAX_INPUT_TEXT) throw new MalformedReport(field, `must be at most ${MAX_INPUT_TEXT} characters`);
  return value as string;
};

function routingKeyPart(value: unknown, field: string): string {
  const name = value as string;
  if (!ROUTING_KEY_PART.test(name)) throw new MalformedReport(field, `"${name}" must be letters, digits, "+", "_" and "-", starting with a letter or digit`);
  return name;
}

/** How a hello says it serves each (suite, arch); empty from builders that do not say. */
function archSupport(value: unknown, field: string): ArchSupport[] {
  return (value as Json[]).map((support, index) => {
    const at = `${field}[${index}]`;
    const given = mode(support['mode'], `${at}.mode`);
    if (given === '') throw new MalformedReport(`${at}.mode`, `must be one of ${BUILD_MODES.join(', ')}`);
    return { suite: routingKeyPart(support['suite'], `${at}.suite`), arch: routingKeyPart(support['arch'], `${at}.arch`), mode: given, chroot: optionalFileName(support['chroot'], `${at}.chroot`) };
  });
}

/** What a hello says it cannot build, with the reason and the fix. */
function archUnavailable(value: unknown, field: string): ArchUnavailable[] {
  return (value as Json[]).map((gap, index) => {
    const at = `${field}[${index}]`;
    const words = (key: 'reason' | 'fix'): string => {
      const given = gap[key] as string;
      if (given === '' || given.length > MAX_GAP_TEXT) throw new MalformedReport(`${at}.${key}`, `must be 1 to ${MAX_GAP_TEXT} characters`);
      return given;
    };
    return { suite: routingKeyPart(gap['suite'], `${at}.suite`), arch: routingKeyPart(gap['arch'], `${at}.arch`), reason: words('reason'), fix: words('fix') };
  });
}

/** A build's inputs as reported; absent from builders that predate them. */
function buildInputs(value: unknown, field: string): BuildInputs | undefined {
  if (value === undefined) return undefined;
  const inputs = value as Json;
  const sourceFiles = (inputs['sourceFiles'] as Json[]).map((file, index) => {
    const at = `${field}.sourceFiles[${index}]`;
    const name = file['name'] as string;
    if (name === '' || name.includes('/')) throw new MalformedReport(`${at}.name`, 'must be a file name');
    if (!SHA256.test(file['sha256'] as string)) throw new MalformedReport(`${at}.sha256`, 'must be 64 lower-case hex digits');
    return { name, sha256: file['sha256'] as string, size: String(file['size']) };
  });
  const lintian = inputs['lintian'] as LintianResult | undefined;
  return {
    sourceFiles,
    sourceRevision: text(inputs['sourceRevision'], `${field}.sourceRevision`),
    sourceTreeSha256: optionalSha256(inputs['sourceTreeSha256'], `${field}.sourceTreeSha256`),
    chroot: optionalFileName(inputs['chroot'], `${field}.chroot`),
    chrootSha256: optionalSha256(inputs['chrootSha256'], `${field}.chrootSha256`),
    backend: text(inputs['backend'], `${field}.backend`),
    backendVersion: text(inputs['backendVersion'], `${field}.backendVersion`),
    buildinfo: optionalFileName(inputs['buildinfo'], `${field}.buildinfo`),
    mode: mode(inputs['mode'], `${field}.mode`),
    ...(lintian ? { lintian: { ...lintian, status: text(lintian.status, `${field}.lintian.status`), log: optionalFileName(lintian.log, `${field}.lintian.log`) } } : {}),
  };
}

/**
 * Reads a BuilderReport from its JSON body. The contract (tsbit.messages.v1.BuilderReport)
 * checks the types; this checks what the contract cannot say. Throws MalformedReport.
 */
export function parseReport(body: unknown): BuilderReport {
  let report: Json;
  try {
    report = canonicalMessage('BuilderReport', body, 'read');
  } catch (error) {
    throw new MalformedReport('(body)', (error as Error).message);
  }
  const builder = report['builder'] as string;
  if (!BUILDER_NAME.test(builder)) {
    throw new MalformedReport('builder', 'must be 1 to 200 letters, digits, ".", "_", "@" or "-", starting with a letter or digit');
  }
  const kinds = REPORT_KINDS.filter((kind) => report[kind] !== undefined);
  const kind = kinds[0];
  if (kind === undefined || kinds.length > 1) throw new MalformedReport('report', `must be exactly one of ${REPORT_KINDS.join(', ')}`);
  const content = report[kind] as Json;
  switch (kind) {
    case 'hello': {
      const slots = content['slots'];
      if (typeof slots !== 'number' || !Number.isInteger(slots) || slots < 1 || slots > MAX_SLOTS) {
        throw new MalformedReport('hello.slots', `must be an integer from 1 to ${MAX_SLOTS}`);
      }
      return {
        builder,
        kind,
        capabilities: {
          arches: names(content['arches'], 'hello.arches'),
          suites: names(content['suites'], 'hello.suites'),
          formats: names(content['formats'], 'hello.formats'),
          slots,
          archSupport: archSupport(content['archSupport'], 'hello.archSupport'),
          unavailable: archUnavailable(content['unavailable'], 'hello.unavailable'),
        },
      };
    }
    case 'heartbeat':
      return { builder, kind, running: (content['running'] as Json[]).map((running, index) => attemptRef(running, `heartbeat.running[${index}]`)) };
    case 'started':
      return { builder, kind, ...attemptRef(content, kind), mode: mode(content['mode'], 'started.mode') };
    case 'cancelled':
      return { builder, kind, ...attemptRef(content, kind) };
    case 'succeeded': {
      const inputs = buildInputs(content['inputs'], 'succeeded.inputs');
      return { builder, kind, ...attemptRef(content, kind), artifacts: artifacts(content['artifacts'], 'succeeded.artifacts'), ...(inputs ? { inputs } : {}) };
    }
    case 'failed': {
      const failureClass = content['failureClass'] as FailureClass;
      if (!FAILURE_CLASSES.includes(failureClass)) throw new MalformedReport('failed.failureClass', `must be one of ${FAILURE_CLASSES.join(', ')}`);
      const code = content['code'] as string;
      if (code === '') throw new MalformedReport('failed.code', 'is required');
      return { builder, kind, ...attemptRef(content, kind), failureClass, code, message: content['message'] as string, artifacts: artifacts(content['artifacts'], 'failed.artifacts') };
    }
    default:
      throw new MalformedReport('report', `must be exactly one of ${REPORT_KINDS.join(', ')}`);
  }
}
