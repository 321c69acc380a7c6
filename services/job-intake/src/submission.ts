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
  type SourceMethod,
} from '@tsbit/domain';
import { handleCommand, type EventLog } from '@tsbit/event-log';
import { evolveJob, toSummary, type JobRow, type JobSummary, type ReadModels } from '@tsbit/read-models';
import { badRequest } from '@tsbit/service-kit';
import type { createCatalogCache } from './catalog-cache';

export const MAX_BATCH_JOBS = 5000;

/** A submission as the API takes it, JSON or pyBit's form fields, before the catalogue expands it. */
export interface JobRequest {
  package: string;
  version: string;
  suite: string;
  dist: string;
  arch: string | string[];
  format: string;
  env: string;
  source: { method: string; url: string; ref: string };
  priority: number;
  project: string;
  dependsOn: number[];
  /** Source packages whose newest job for the same suite and architecture this job waits for. */
  dependsOnPackages: string[];
}

type Body = Record<string, unknown>;

const text = (body: Body, ...names: string[]): string | undefined => {
  for (const name of names) {
    const value = body[name];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
};

const required = (value: string | undefined, field: string): string => {
  if (value === undefined) throw badRequest(`${field}: is required`, field);
  return value;
};

const integer = (value: unknown, field: string, fallback: number): number => {
  if (value === undefined || value === '') return fallback;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(number)) throw badRequest(`${field}: must be an integer`, field);
  return number;
};

/**
 * Reads a submission from a JSON body or from pyBit's form fields (`method`, `uri`, `vcs_id`,
 * `distribution`, `architecture_list`, `package_version`), so pyBit's forms and hooks keep working.
 */
export function jobRequestFrom(body: Body, principal: Actor): JobRequest {
  const source = typeof body.source === 'object' && body.source !== null ? (body.source as Body) : {};
  const archValue = body.arch ?? body.architecture_list ?? body.architecture;
  const arch = Array.isArray(archValue) ? archValue.map(String) : typeof archValue === 'string' && archValue.trim() !== '' ? archValue : undefined;
  const dependsOnValue = body.dependsOn ?? body.depends_on;
  const dependsOn = Array.isArray(dependsOnValue)
    ? dependsOnValue.map((id) => integer(id, 'dependsOn', 0))
    : typeof dependsOnValue === 'string' && dependsOnValue !== ''
      ? dependsOnValue.split(',').map((id) => integer(id.trim(), 'dependsOn', 0))
      : [];
  const packagesValue = body.dependsOnPackages ?? body.depends_on_packages;
  const dependsOnPackages = Array.isArray(packagesValue)
    ? packagesValue.map(String)
    : typeof packagesValue === 'string' && packagesValue !== ''
      ? packagesValue.split(',').map((name) => name.trim())
      : [];
  return {
    package: required(text(body, 'package'), 'package'),
    version: required(text(body, 'version', 'package_version'), 'version'),
    suite: required(text(body, 'suite'), 'suite'),
    dist: text(body, 'dist', 'distribution') ?? '',
    arch: arch ?? required(undefined, 'arch'),
    format: text(body, 'format') ?? 'deb',
    env: text(body, 'env') ?? '',
    source: {
      method: required(text(source, 'method') ?? text(body, 'method'), 'source.method'),
      url: required(text(source, 'url') ?? text(body, 'uri', 'url'), 'source.url'),
      ref: text(source, 'ref') ?? text(body, 'vcs_id', 'ref') ?? '',
    },
    priority: integer(body.priority, 'priority', 0),
    project: text(body, 'project') ?? principal.name,
    dependsOn,
    dependsOnPackages,
  };
}

export interface SubmissionDeps {
  log: EventLog;
  readModels: ReadModels;
  catalog: ReturnType<typeof createCatalogCache>;
  clock: () => Date;
}

/**
 * Turns requests into jobs, one per architecture: checks each against the catalogue, decides its
 * JobSubmitted, supersedes older unfinished jobs of the same package, and appends every new job in
 * one atomic append. Returns the jobs as the API shows them, Waiting.
 */
export async function submitJobs(deps: SubmissionDeps, requests: JobRequest[], by: Actor): Promise<JobSummary[]> {
  const catalog = await deps.catalog.get();
  const at = deps.clock().toISOString();
  const expanded = requests.flatMap((request) =>
    expandArchitectures(catalog, request.suite, request.arch).map((arch) => {
      const { dist } = checkJobAgainstCatalog(catalog, { ...request, arch, sourceUrl: request.source.url });
      return { ...request, arch, dist, buildArchIndep: buildsArchIndep(catalog, request.suite, arch) };
    }),
  );
  if (expanded.length > MAX_BATCH_JOBS) throw badRequest(`jobs: at most ${MAX_BATCH_JOBS} jobs per request (this one makes ${expanded.length})`, 'jobs');
  await checkDependencies(deps.log, expanded.flatMap((job) => job.dependsOn));

  const ids = await deps.readModels.nextJobIds(expanded.length);
  const inThisSubmission = new Map(expanded.map((job, index) => [`${job.package}/${job.suite}/${job.arch}`, ids[index] as number]));
  for (const job of expanded) {
    for (const name of job.dependsOnPackages) {
      const producer = inThisSubmission.get(`${name}/${job.suite}/${job.arch}`) ?? (await deps.readModels.jobs.list({ package: name, suite: job.suite, arch: job.arch, limit: 1 })).items[0]?.id;
      if (producer === undefined) throw new DomainError('unprocessable', `dependsOnPackages: no job builds "${name}" for ${job.suite}/${job.arch}`, 'dependsOnPackages');
      if (!job.dependsOn.includes(producer)) job.dependsOn = [...job.dependsOn, producer];
    }
  }
  const submitted = expanded.map((request, index) => {
    const [event] = jobDecider.decide(
      {
        type: 'SubmitJob',
        at,
        job: {
          jobId: ids[index] as number,
          package: request.package,
          version: request.version,
          suite: request.suite,
          dist: request.dist,
          arch: request.arch,
          format: request.format,
          env: request.env,
          source: { ...request.source, method: request.source.method as SourceMethod },
          priority: request.priority,
          project: request.project,
          dependsOn: request.dependsOn,
          buildArchIndep: request.buildArchIndep,
          submittedBy: by,
          retryOf: 0,
        },
      },
      jobDecider.initialState(),
    );
    return event as JobSubmitted;
  });

  const unfinished = await deps.readModels.jobs.unfinishedOfPackages([...new Set(submitted.map((event) => event.data.package))]);
  await deps.log.appendMany(
    submitted.map((event) => ({ stream: jobStreamId(event.data.jobId), events: [{ ...serializeEvent(event), metadata: { causedBy: by } }], expectedVersion: 'no_stream' as const })),
  );
  const superseded = new Map<number, number>();
  for (const event of submitted) {
    const candidates = unfinished.map((job) => ({ jobId: job.id, package: job.package, version: job.version, dist: job.dist, suite: job.suite, arch: job.arch, env: job.env }));
    for (const jobId of supersededBy(candidates, { ...event.data })) superseded.set(jobId, event.data.jobId);
  }
  for (const [jobId, newer] of superseded) {
    await handleCommand({
      log: deps.log,
      stream: jobStreamId(jobId),
      decider: jobDecider,
      command: { type: 'CancelJob', at, by, reason: reason('superseded', `superseded by job ${newer}`, [newer]) },
      metadata: { causedBy: by },
    }).catch((error: unknown) => {
      // A job that finished meanwhile needs no superseding.
      if (!(error instanceof DomainError)) throw error;
    });
  }
  return submitted.map((event) => summaryOf(event, at));
}

/** Reads the log, not the read models: a dependency submitted a moment ago may not be projected yet. */
async function checkDependencies(log: EventLog, ids: number[]): Promise<void> {
  for (const id of new Set(ids)) {
    if ((await log.readStream(jobStreamId(id))).length === 0) throw new DomainError('unprocessable', `dependsOn: there is no job ${id}`, 'dependsOn');
  }
}

/** The job as `GET /job/:id` will show it, without waiting for the projection. */
function summaryOf(event: JobSubmitted, at: string): JobSummary {
  return toSummary(evolveJob(null, event, { version: 0, recordedAt: at }) as JobRow);
}
