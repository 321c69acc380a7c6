import type { Actor, BuildInputs, DomainEvent, JobSubmitted } from '@tsbit/domain';

/** Builders of realistic events for read-model and service tests. */
export const at = (seconds: number): string => new Date(Date.UTC(2026, 10, 24, 10, 0, seconds)).toISOString();
const alice: Actor = { kind: 'user', name: 'alice' };

export function submittedJob(jobId: number, change: Partial<JobSubmitted['data']> = {}): JobSubmitted {
  return {
    type: 'JobSubmitted',
    data: {
      jobId,
      package: `pkg${jobId}`,
      version: '1.0-1',
      suite: 'bookworm',
      dist: 'debian',
      arch: 'amd64',
      format: 'deb',
      env: '',
      source: { method: 'git', url: 'https://example.org/pkg.git', ref: 'main' },
      priority: 0,
      project: 'alice',
      dependsOn: [],
      buildArchIndep: true,
      submittedBy: alice,
      submittedAt: at(0),
      retryOf: 0,
      ...change,
    },
  };
}

/** What an sbuild build of `pkg<jobId>` from git on amd64 reports it was made from. */
export function buildInputs(jobId: number, change: Partial<BuildInputs> = {}): BuildInputs {
  return {
    sourceFiles: [],
    sourceRevision: '0123456789abcdef0123456789abcdef01234567',
    sourceTreeSha256: 'c'.repeat(64),
    chroot: 'bookworm-amd64.tar',
    chrootSha256: 'd'.repeat(64),
    backend: 'sbuild',
    backendVersion: 'sbuild (Debian sbuild) 0.85.0 (04 January 2023)',
    buildinfo: `pkg${jobId}_1.0-1_amd64.buildinfo`,
    mode: 'native',
    ...change,
  };
}

/** A job's whole happy life: submitted, queued, built by `builder`, its .deb stored. */
export function builtJob(jobId: number, builder = 'b1'): { stream: string; events: DomainEvent[] }[] {
  const artifact = { name: `pkg${jobId}_1.0-1_all.deb`, sha256: 'a'.repeat(64), size: '2048', kind: 'deb' as const };
  return [
    {
      stream: `job-${jobId}`,
      events: [
        submittedJob(jobId),
        { type: 'JobQueued', data: { jobId, attempt: 1, routingKey: 'deb.bookworm.amd64', queuedAt: at(1) } },
        { type: 'BuildStarted', data: { jobId, attempt: 1, builder, startedAt: at(2), mode: 'native' } },
        { type: 'BuildSucceeded', data: { jobId, attempt: 1, builder, artifacts: [artifact], finishedAt: at(30), inputs: buildInputs(jobId) } },
      ],
    },
    { stream: `artifacts-${jobId}`, events: [{ type: 'ArtifactStored', data: { jobId, attempt: 1, ...artifact, builder, storedAt: at(29) } }] },
  ];
}
