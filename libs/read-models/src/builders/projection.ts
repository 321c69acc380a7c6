import type { ArchSupport, ArchUnavailable, BuilderEvent, DomainEvent, JobEvent } from '@tsbit/domain';

export interface BuilderRow {
  name: string;
  arches: string[];
  suites: string[];
  formats: string[];
  slots: number;
  /** How it serves each (suite, arch) for deb builds, as it last said. */
  arch_support: ArchSupport[];
  /** What it cannot build, each with the reason and the fix, as it last said. */
  unavailable: ArchUnavailable[];
  state: 'idle' | 'building' | 'paused' | 'lost';
  paused: boolean;
  running_jobs: number[];
  registered_at: string;
  last_seen_at: string;
}

const builderEventTypes = new Set(['BuilderRegistered', 'BuilderLost', 'BuilderPaused', 'BuilderResumed', 'BuilderRetired']);
const releasing = new Set(['BuildSucceeded', 'BuildFailed', 'LeaseExpired', 'JobCancelled', 'JobDeleted']);
export const isBuilderEvent = (event: DomainEvent): event is BuilderEvent => builderEventTypes.has(event.type);
export const touchesBuilders = (event: DomainEvent): boolean => isBuilderEvent(event) || event.type === 'BuildStarted' || releasing.has(event.type);

const stateOf = (row: BuilderRow, lost = row.state === 'lost'): BuilderRow['state'] =>
  lost ? 'lost' : row.paused ? 'paused' : row.running_jobs.length > 0 ? 'building' : 'idle';

/**
 * The builders read model, from builder events and the job events that start and end builds.
 * Running jobs are a set, so applying the same event twice changes nothing.
 */
export function evolveBuilders(rows: Map<string, BuilderRow>, event: BuilderEvent | JobEvent, recordedAt: string): void {
  if (event.type === 'BuilderRegistered') {
    const existing = rows.get(event.data.name);
    const { name, arches, suites, formats, slots, archSupport, unavailable, registeredAt } = event.data;
    const row: BuilderRow = { name, arches, suites, formats, slots, arch_support: archSupport, unavailable, paused: existing?.paused ?? false, running_jobs: existing?.running_jobs ?? [], state: 'idle', registered_at: registeredAt, last_seen_at: recordedAt };
    rows.set(name, { ...row, state: stateOf(row, false) });
    return;
  }
  if (event.type === 'BuilderRetired') {
    rows.delete(event.data.name);
    return;
  }
  if (event.type === 'BuilderLost' || event.type === 'BuilderPaused' || event.type === 'BuilderResumed') {
    const row = rows.get(event.data.name);
    if (!row) return;
    if (event.type === 'BuilderLost') rows.set(row.name, { ...row, state: 'lost', running_jobs: [] });
    else {
      const paused = event.type === 'BuilderPaused';
      const next = { ...row, paused };
      rows.set(row.name, { ...next, state: stateOf(next) });
    }
    return;
  }
  if (event.type === 'BuildStarted') {
    const row = rows.get(event.data.builder);
    if (!row) return;
    const running = row.running_jobs.includes(event.data.jobId) ? row.running_jobs : [...row.running_jobs, event.data.jobId];
    const next = { ...row, running_jobs: running, last_seen_at: recordedAt };
    rows.set(row.name, { ...next, state: stateOf(next, false) });
    return;
  }
  if (releasing.has(event.type)) {
    const jobId = (event.data as { jobId: number }).jobId;
    for (const row of rows.values()) {
      if (!row.running_jobs.includes(jobId)) continue;
      const next = { ...row, running_jobs: row.running_jobs.filter((id) => id !== jobId) };
      rows.set(row.name, { ...next, state: stateOf(next) });
    }
  }
}
