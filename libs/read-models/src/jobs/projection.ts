import type { BuildInputs, BuildMode, DomainEvent, JobEvent, JobStatus, Reason } from '@tsbit/domain';

/** A row of `jobs`, as stored (snake_case, timestamps as ISO strings). */
export interface JobRow {
  id: number;
  package: string;
  version: string;
  suite: string;
  dist: string;
  arch: string;
  format: string;
  env: string;
  source: { method: string; url: string; ref: string };
  priority: number;
  project: string;
  depends_on: number[];
  build_arch_indep: boolean;
  retry_of: number | null;
  status: JobStatus;
  reason: Reason | null;
  attempt: number;
  queued: boolean;
  builder: string | null;
  failure_class: 'package' | 'infrastructure' | null;
  submitted_by: string;
  submitted_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
  deleted: boolean;
  stream_version: number;
  /** How the latest attempt is or was built: native, cross or emulated (null when not reported). */
  build_mode: BuildMode | null;
  /** What the latest successful attempt was built from (null before it, or when not reported). */
  build_inputs: BuildInputs | null;
  /** A rebuild check: the job it builds again, and the builder that must not build it (null otherwise). */
  rebuild_of: number | null;
  avoid_builder: string | null;
}

export interface JobHistoryRow {
  position: string;
  job_id: number;
  status: JobStatus;
  event: string;
  at: string;
  attempt: number;
  actor: { kind: string; name: string } | null;
  reason: Reason | null;
  /** The build mode a start or a success reported. */
  mode: BuildMode | null;
}

export const jobEventTypes: ReadonlySet<string> = new Set<JobEvent['type']>([
  'JobSubmitted', 'JobBlocked', 'JobQueued', 'BuildStarted', 'BuildSucceeded', 'BuildFailed',
  'LeaseExpired', 'JobCancelRequested', 'JobCancelled', 'JobRetried', 'JobDeleted',
]);

export const isJobEvent = (event: DomainEvent): event is JobEvent => jobEventTypes.has(event.type);

const queuedReason = (message: string): Reason => ({ code: 'queued', message, jobIds: [] });

/**
 * The jobs read model: one row per job. Never throws; an event at or below the row's stream
 * version was applied already and changes nothing.
 */
export function evolveJob(row: JobRow | null, event: JobEvent, meta: { version: number; recordedAt: string }): JobRow | null {
  if (row && meta.version <= row.stream_version) return row;
  if (event.type === 'JobSubmitted') {
    const job = event.data;
    return {
      id: job.jobId,
      package: job.package,
      version: job.version,
      suite: job.suite,
      dist: job.dist,
      arch: job.arch,
      format: job.format,
      env: job.env,
      source: job.source,
      priority: job.priority,
      project: job.project,
      depends_on: job.dependsOn,
      build_arch_indep: job.buildArchIndep,
      retry_of: job.retryOf === 0 ? null : job.retryOf,
      status: 'Waiting',
      reason: queuedReason('waiting for a build slot'),
      attempt: 0,
      queued: false,
      builder: null,
      failure_class: null,
      submitted_by: job.submittedBy.name,
      submitted_at: job.submittedAt,
      updated_at: job.submittedAt,
      started_at: null,
      finished_at: null,
      deleted: false,
      stream_version: meta.version,
      build_mode: null,
      build_inputs: null,
      rebuild_of: job.rebuildOf ? job.rebuildOf : null,
      avoid_builder: job.avoidBuilder ? job.avoidBuilder : null,
    };
  }
  if (!row) return null;
  const next = { ...row, stream_version: meta.version, updated_at: meta.recordedAt };
  switch (event.type) {
    case 'JobBlocked':
      return { ...next, status: 'Blocked', reason: event.data.reason };
    case 'JobQueued':
      return { ...next, status: 'Waiting', attempt: event.data.attempt, queued: true, reason: queuedReason('queued for a builder') };
    case 'BuildStarted':
      return {
        ...next,
        status: 'Building',
        attempt: event.data.attempt,
        builder: event.data.builder,
        reason: null,
        started_at: event.data.startedAt,
        finished_at: null,
        failure_class: null,
        build_mode: event.data.mode || null,
        build_inputs: null,
      };
    case 'BuildSucceeded':
      return {
        ...next,
        status: 'Done',
        reason: null,
        finished_at: event.data.finishedAt,
        // The mode used, which may differ from the one the start announced (a cross build that fell back to emulation).
        build_mode: event.data.inputs?.mode || (row.build_mode ?? null),
        build_inputs: event.data.inputs ?? null,
      };
    case 'BuildFailed':
      return { ...next, status: 'Failed', reason: event.data.reason, failure_class: event.data.failureClass, finished_at: event.data.finishedAt };
    case 'LeaseExpired':
      return { ...next, status: 'Waiting', queued: false, reason: { code: 'lease_expired', message: `builder ${event.data.builder} stopped answering; back in the queue`, jobIds: [] } };
    case 'JobCancelRequested':
      return { ...next, status: 'Cancelling', reason: event.data.reason };
    case 'JobCancelled':
      return { ...next, status: 'Cancelled', reason: event.data.reason, finished_at: event.data.cancelledAt };
    case 'JobRetried':
      return { ...next, status: 'Waiting', queued: false, reason: queuedReason(event.data.automatic ? 'retried by the farm after an infrastructure failure' : 'retried'), finished_at: null };
    case 'JobDeleted':
      return { ...next, deleted: true };
    default:
      return next;
  }
}

type HistoryActor = { kind: string; name: string } | null;

/**
 * Who caused a job event: the actor the event names where a person or the farm chose it (submit,
 * cancel, retry, delete); otherwise whoever appended it (a builder's report, the scheduler's
 * lease expiry), falling back to the builder the event is about for events written without it.
 */
function actorOf(event: JobEvent, causedBy: unknown): HistoryActor {
  switch (event.type) {
    case 'JobSubmitted':
      return event.data.submittedBy;
    case 'JobCancelled':
      return event.data.cancelledBy;
    case 'JobCancelRequested':
      return event.data.requestedBy;
    case 'JobRetried':
      return event.data.retriedBy;
    case 'JobDeleted':
      return event.data.deletedBy;
    default: {
      const appender = causedBy as HistoryActor | undefined;
      if (appender) return appender;
      return 'builder' in event.data ? { kind: 'builder', name: event.data.builder } : null;
    }
  }
}

/** One history entry per job event: the status it led to, when, who, why. */
export function historyEntry(row: JobRow, event: JobEvent, meta: { position: bigint; recordedAt: string; causedBy: unknown }): JobHistoryRow {
  const data = event.data as { attempt?: number; reason?: Reason };
  const actor = actorOf(event, meta.causedBy);
  return {
    position: meta.position.toString(),
    job_id: row.id,
    status: row.status,
    event: event.type,
    at: meta.recordedAt,
    attempt: data.attempt ?? row.attempt,
    actor,
    reason: row.reason,
    mode: event.type === 'BuildStarted' ? event.data.mode || null : event.type === 'BuildSucceeded' ? event.data.inputs?.mode || null : null,
  };
}
