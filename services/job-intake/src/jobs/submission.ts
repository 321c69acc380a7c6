import type { JsonObject } from '@tsbit/contracts';
import {
  buildsArchIndep,
  checkJobAgainstCatalog,
  DomainError,
  expandArchitectures,
  jobDecider,
  jobStreamId,
  reason,
  serializeEvent,
  supersededBy,
  type Actor,
  type JobSubmitted,
  type UnfinishedJob,
} from '@tsbit/domain';
import { handleCommand } from '@tsbit/event-log';
import { evolveJob, toSummary, type JobRow, type JobSummary } from '@tsbit/read-models';
import { badRequest, HttpProblem } from '@tsbit/service-kit';
import type { JobIntakeContext } from '../context';
import { inParallel } from './parallel';
import type { JobRequest } from './job-request';

/** Jobs one request may create after architectures are expanded (a batch of 5,000 × "any"). */
export const MAX_JOBS_PER_REQUEST = 20_000;
/** Round trips in flight for dependency checks and superseding: the pool has ten connections. */
const LOG_CONCURRENCY = 8;

type SubmissionContext = Pick<JobIntakeContext, 'log' | 'readModels' | 'catalog' | 'clock'>;

export interface SubmitOptions {
  by: Actor;
  metadata: JsonObject;
  /** Where the n-th request's fields sit in the body, for problems that name a field: `jobs.n.`. */
  prefix?: (index: number) => string;
}

/** Recent jobs of a package searched for the one built on the master architecture. */
const MASTER_LOOKUP_JOBS = 50;

interface Planned extends JobRequest {
  arch: string;
  buildArchIndep: boolean;
  /** Which request it came from. */
  index: number;
}

/**
 * Turns requests into jobs, one per architecture: checks each against the catalogue and the
 * blacklist, allocates ids, lets the job decider make each JobSubmitted, appends every one of
 * them in one atomic append, then cancels the older unfinished jobs they supersede. Returns the
 * jobs as `GET /job/:id` will show them (Waiting), built with the projection's own evolve rather
 * than waiting for it.
 */
export async function submitJobs(context: SubmissionContext, requests: JobRequest[], options: SubmitOptions): Promise<JobSummary[]> {
  const prefix = options.prefix ?? (() => '');
  const at = context.clock().toISOString();
  const catalog = await context.catalog.get();
  const planned: Planned[] = requests.flatMap((request, index) =>
    located(prefix(index), () =>
      refusedByCatalogue(() =>
        expandArchitectures(catalog, request.suite, request.arch).map((arch) => {
          const { dist } = checkJobAgainstCatalog(catalog, { ...request, arch, sourceUrl: request.source.url, sourceMethod: request.source.method });
          return { ...request, arch, dist, buildArchIndep: buildsArchIndep(catalog, request.suite, arch), index };
        }),
      ),
    ),
  );
  if (planned.length > MAX_JOBS_PER_REQUEST) {
    throw badRequest(`jobs: at most ${MAX_JOBS_PER_REQUEST} jobs per request once architectures are expanded (this one makes ${planned.length})`, 'jobs');
  }
  await checkDependenciesExist(context, planned, prefix);

  const ids = await context.readModels.nextJobIds(planned.length);
  await resolvePackageDependencies(context, planned, ids, prefix);
  const submitted = planned.map((job, position) =>
    located(prefix(job.index), () => {
      const [event] = jobDecider.decide(
        {
          type: 'SubmitJob',
          at,
          job: {
            jobId: ids[position] as number,
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
            dependsOn: job.dependsOn,
            buildArchIndep: job.buildArchIndep,
            submittedBy: options.by,
            retryOf: 0,
          },
        },
        jobDecider.initialState(),
      );
      return event as JobSubmitted;
    }),
  );

  // Read before appending, so the new jobs themselves are never among the candidates.
  const unfinished = await context.readModels.jobs.unfinishedOfPackages([...new Set(submitted.map((event) => event.data.package))]);
  await context.log.appendMany(
    submitted.map((event) => ({ stream: jobStreamId(event.data.jobId), events: [{ ...serializeEvent(event), metadata: options.metadata }], expectedVersion: 'no_stream' as const })),
  );
  await supersede(context, unfinished, submitted, options, at);
  return submitted.map((event) => toSummary(evolveJob(null, event, { version: 0, recordedAt: at }) as JobRow));
}

/**
 * Gives the catalogue's refusals a code clients can act on: `blacklisted` (with the rule) or
 * `not_in_catalogue`. The catalogue names `package` or `source.url` only when a blacklist rule
 * matched.
 */
function refusedByCatalogue<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (!(error instanceof DomainError) || error.kind !== 'unprocessable') throw error;
    if (error.field === 'package' || error.field === 'source.url') {
      const ruleId = Number(/rule (\d+)/.exec(error.message)?.[1]);
      throw unprocessable(error.message, error.field, { code: 'blacklisted', ...(Number.isInteger(ruleId) ? { ruleId } : {}) });
    }
    throw unprocessable(error.message, error.field, { code: 'not_in_catalogue' });
  }
}

const unprocessable = (detail: string, field: string | undefined, extensions: Record<string, unknown>) => new HttpProblem(422, 'Unprocessable Content', detail, field, extensions);

/** Runs `work`, and names the field of any problem it raises inside the request it came from. */
function located<T>(prefix: string, work: () => T): T {
  if (prefix === '') return work();
  try {
    return work();
  } catch (error) {
    if (error instanceof DomainError) throw new DomainError(error.kind, `${prefix}${error.message}`, error.field === undefined ? undefined : `${prefix}${error.field}`);
    if (error instanceof HttpProblem) throw new HttpProblem(error.status, error.title, `${prefix}${error.detail}`, error.field === undefined ? undefined : `${prefix}${error.field}`, error.extensions);
    throw error;
  }
}

/** Reads the log, not the read models: a dependency submitted a moment ago may not be projected yet. */
async function checkDependenciesExist(context: SubmissionContext, planned: Planned[], prefix: (index: number) => string): Promise<void> {
  const firstUse = new Map<number, number>();
  for (const job of planned) for (const id of job.dependsOn) if (!firstUse.has(id)) firstUse.set(id, job.index);
  await inParallel([...firstUse], LOG_CONCURRENCY, async ([id, index]) => {
    if ((await context.log.readStream(jobStreamId(id))).length === 0) {
      throw unprocessable(`${prefix(index)}dependsOn: there is no job ${id}`, `${prefix(index)}dependsOn`, { code: 'unknown_dependency' });
    }
  });
}

/**
 * `dependsOnPackages`: each named package's job for the same suite and architecture, from this very
 * submission first, otherwise its newest job. A package with no job on that architecture may be
 * Architecture: all, which only the suite's master architecture builds: its master job then.
 */
async function resolvePackageDependencies(context: SubmissionContext, planned: Planned[], ids: number[], prefix: (index: number) => string): Promise<void> {
  const key = (name: string, suite: string, arch: string): string => `${name}\u0000${suite}\u0000${arch}`;
  const inThisSubmission = new Map(planned.map((job, position) => [key(job.package, job.suite, job.arch), ids[position] as number]));
  const masterInThisSubmission = new Map(planned.flatMap((job, position) => (job.buildArchIndep ? [[key(job.package, job.suite, ''), ids[position] as number] as const] : [])));
  const newestJob = async (name: string, suite: string, arch: string): Promise<number | undefined> =>
    (await context.readModels.jobs.list({ package: name, suite, arch, limit: 1 })).items[0]?.id;
  const newestMasterJob = async (name: string, suite: string): Promise<number | undefined> =>
    (await context.readModels.jobs.list({ package: name, suite, limit: MASTER_LOOKUP_JOBS })).items.find((job) => job.buildArchIndep)?.id;
  for (const job of planned) {
    for (const name of job.dependsOnPackages) {
      const producer =
        inThisSubmission.get(key(name, job.suite, job.arch)) ??
        (await newestJob(name, job.suite, job.arch)) ??
        masterInThisSubmission.get(key(name, job.suite, '')) ??
        (await newestMasterJob(name, job.suite));
      if (producer === undefined) {
        const field = `${prefix(job.index)}dependsOnPackages`;
        throw unprocessable(`${field}: no job builds "${name}" for ${job.suite}/${job.arch}, nor for its master architecture`, field, { code: 'unknown_dependency' });
      }
      if (!job.dependsOn.includes(producer)) job.dependsOn = [...job.dependsOn, producer];
    }
  }
}

/**
 * pyBit's superseding: older unfinished jobs of the same package, dist, suite, architecture and
 * environment are cancelled. After the append, so a refused submission cancels nothing.
 */
async function supersede(context: SubmissionContext, unfinished: JobSummary[], submitted: JobSubmitted[], options: SubmitOptions, at: string): Promise<void> {
  const key = (job: Omit<UnfinishedJob, 'jobId' | 'version'>): string => [job.package, job.dist, job.suite, job.arch, job.env].join('\u0000');
  const candidates = new Map<string, UnfinishedJob[]>();
  for (const job of unfinished) {
    if (job.status === 'Cancelling') continue;
    const candidate = { jobId: job.id, package: job.package, version: job.version, dist: job.dist, suite: job.suite, arch: job.arch, env: job.env, rebuildOf: job.rebuildOf };
    candidates.set(key(candidate), [...(candidates.get(key(candidate)) ?? []), candidate]);
  }
  const superseded = new Map<number, number>();
  for (const event of submitted) {
    for (const jobId of supersededBy(candidates.get(key(event.data)) ?? [], event.data)) superseded.set(jobId, event.data.jobId);
  }
  await inParallel([...superseded], LOG_CONCURRENCY, async ([jobId, newer]) => {
    await handleCommand({
      log: context.log,
      stream: jobStreamId(jobId),
      decider: jobDecider,
      command: { type: 'CancelJob', at, by: options.by, reason: reason('superseded', `superseded by job ${newer}`, [newer]) },
      metadata: options.metadata,
    }).catch((error: unknown) => {
      // A job that finished or was deleted since the read model saw it needs no superseding.
      if (!(error instanceof DomainError)) throw error;
    });
  });
}
