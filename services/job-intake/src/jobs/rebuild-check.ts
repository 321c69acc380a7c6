import { deserializeEvent, jobDecider, jobStreamId, serializeEvent, type JobEvent, type JobSubmitted, type Source } from '@tsbit/domain';
import { evolveJob, toSummary, type JobRow, type JobSummary } from '@tsbit/read-models';
import { HttpProblem, notFound } from '@tsbit/service-kit';
import type { JobIntakeContext } from '../context';
import type { SubmitOptions } from './submission';

const refused = (detail: string, code: string) => new HttpProblem(409, 'Conflict', detail, undefined, { code });

/** The job's row as its stream says now: the original must be checked as it is, not as the read model last saw it. */
async function rowFromLog(context: Pick<JobIntakeContext, 'log'>, id: number): Promise<JobRow | null> {
  let row: JobRow | null = null;
  for (const recorded of await context.log.readStream(jobStreamId(id))) {
    row = evolveJob(row, deserializeEvent(recorded.type, recorded.data) as JobEvent, { version: recorded.version, recordedAt: recorded.recordedAt.toISOString() });
  }
  return row && !row.deleted ? row : null;
}

/**
 * The source exactly as the original built it: a git or svn source at the commit or revision its
 * builder recorded (a branch may have moved since), a .dsc or apt source as submitted (its files'
 * checksums were recorded and are compared afterwards).
 */
export function pinnedSource(original: Pick<JobRow, 'id' | 'source' | 'version' | 'build_inputs'>): Source {
  const source = original.source as Source;
  const revision = original.build_inputs?.sourceRevision ?? '';
  switch (source.method) {
    case 'git':
    case 'svn':
      if (revision === '') throw refused(`job ${original.id}: its builder recorded no ${source.method === 'git' ? 'commit' : 'revision'}, so its source cannot be pinned`, 'no_recorded_inputs');
      return { ...source, ref: revision };
    case 'apt':
      return { ...source, ref: source.ref === '' ? original.version : source.ref };
    default:
      return { ...source };
  }
}

/**
 * A rebuild check of a Done job: a new job (not a retry) with the same package, version, suite,
 * architecture, format, environment and pinned source, to be built on another builder than the
 * one that built the original (`avoidBuilder`, which the scheduler honours). It supersedes nothing
 * and nothing supersedes it, so it is appended without the submission's superseding.
 */
export async function requestRebuildCheck(context: Pick<JobIntakeContext, 'log' | 'readModels' | 'clock'>, id: number, options: Pick<SubmitOptions, 'by' | 'metadata'>): Promise<JobSummary> {
  const original = await rowFromLog(context, id);
  if (!original) throw notFound(`no job ${id}`);
  if (original.status !== 'Done') throw refused(`job ${id} is ${original.status}: only a Done job can be built again to check it`, 'not_done');
  if (!original.build_inputs) throw refused(`job ${id} has no recorded inputs (its builder did not report them): there is nothing to build again`, 'no_recorded_inputs');
  if (!original.builder) throw refused(`job ${id} names no builder: there is no builder to avoid`, 'no_recorded_inputs');
  const source = pinnedSource(original);
  const at = context.clock().toISOString();
  const [jobId] = await context.readModels.nextJobIds(1);
  const [event] = jobDecider.decide(
    {
      type: 'SubmitJob',
      at,
      job: {
        jobId: jobId as number,
        package: original.package,
        version: original.version,
        suite: original.suite,
        dist: original.dist,
        arch: original.arch,
        format: original.format,
        env: original.env,
        source,
        priority: original.priority,
        project: original.project,
        // The original was built, so what it depended on was there; the check builds against the same suite.
        dependsOn: [],
        buildArchIndep: original.build_arch_indep,
        submittedBy: options.by,
        retryOf: 0,
        rebuildOf: original.id,
        avoidBuilder: original.builder,
      },
    },
    jobDecider.initialState(),
  );
  const submitted = event as JobSubmitted;
  await context.log.append(jobStreamId(submitted.data.jobId), [{ ...serializeEvent(submitted), metadata: options.metadata }], 'no_stream');
  return toSummary(evolveJob(null, submitted, { version: 0, recordedAt: at }) as JobRow);
}
