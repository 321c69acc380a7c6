import type { JsonObject } from '@tsbit/contracts';
import { deserializeEvent, DomainError, jobDecider, jobStreamId, reason, type Actor, type JobCommand, type JobEvent } from '@tsbit/domain';
import { handleCommand, type EventLog } from '@tsbit/event-log';
import { evolveJob, toSummary, type JobListQuery, type JobRow, type JobSummary } from '@tsbit/read-models';
import { notFound } from '@tsbit/service-kit';
import type { JobIntakeContext } from '../context';
import { inParallel } from './parallel';

const LIST_PAGE = 1000;
/** Cancels in flight at once when many jobs are cancelled: the pool has ten connections. */
const CANCEL_CONCURRENCY = 8;

export type JobChange = 'cancel' | 'retry' | 'delete';

interface Who {
  by: Actor;
  metadata: JsonObject;
}

const commandFor = (change: JobChange, at: string, by: Actor, why?: string): JobCommand => {
  switch (change) {
    case 'cancel':
      return { type: 'CancelJob', at, by, reason: reason('cancelled_by_user', why ?? `cancelled by ${by.name}`) };
    case 'retry':
      return { type: 'RetryJob', at, by, automatic: false };
    case 'delete':
      return { type: 'DeleteJob', at, by };
  }
};

/**
 * The job as its stream says now, folded with the projection's own evolve: the answer to a change
 * shows its effect at once, where the read model may lag by a moment. Undefined when there is no
 * such job or it was deleted.
 */
export async function jobFromLog(log: EventLog, id: number): Promise<JobSummary | undefined> {
  let row: JobRow | null = null;
  for (const recorded of await log.readStream(jobStreamId(id))) {
    row = evolveJob(row, deserializeEvent(recorded.type, recorded.data) as JobEvent, { version: recorded.version, recordedAt: recorded.recordedAt.toISOString() });
  }
  return row && !row.deleted ? toSummary(row) : undefined;
}

/**
 * Cancels, retries or deletes one job through the job decider: 404 when there is no such job, 409
 * when its state refuses the change (a Building job cannot be deleted, a Waiting one not retried).
 */
export async function changeJob(context: Pick<JobIntakeContext, 'log' | 'clock'>, id: number, change: JobChange, who: Who): Promise<{ changed: boolean; job: JobSummary | undefined }> {
  const { events, state } = await handleCommand({
    log: context.log,
    stream: jobStreamId(id),
    decider: jobDecider,
    command: commandFor(change, context.clock().toISOString(), who.by),
    metadata: who.metadata,
  });
  if (change === 'delete' && events.length === 0) throw notFound(`job ${id} was deleted already`);
  return { changed: events.length > 0, job: state.status === 'Deleted' ? undefined : await jobFromLog(context.log, id) };
}

/**
 * Cancels every unfinished job the query selects (pyBit's cancel-all and a package's cancel).
 * Jobs are listed from the read model; one that finished meanwhile is refused by the decider and
 * simply not counted.
 */
export async function cancelMatching(context: Pick<JobIntakeContext, 'log' | 'clock' | 'readModels'>, query: JobListQuery, who: Who & { why: string }): Promise<number> {
  const ids: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await context.readModels.jobs.list({ ...query, unfinished: true, order: 'oldest', limit: LIST_PAGE, ...(cursor ? { cursor } : {}) });
    for (const job of page.items) if (job.status !== 'Cancelling') ids.push(job.id);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  const at = context.clock().toISOString();
  const outcomes = await inParallel(ids, CANCEL_CONCURRENCY, async (id) => {
    try {
      const { events } = await handleCommand({ log: context.log, stream: jobStreamId(id), decider: jobDecider, command: commandFor('cancel', at, who.by, who.why), metadata: who.metadata });
      return events.length > 0;
    } catch (error) {
      if (error instanceof DomainError) return false;
      throw error;
    }
  });
  return outcomes.filter(Boolean).length;
}
