import { Type } from '@fastify/type-provider-typebox';
import { JobSubmission } from '../../jobs/job-request';
import { JobStatus, JobSummary } from '../../http/schemas';

/** Jobs in one batch request: a mass rebuild sends several. */
export const MAX_BATCH_JOBS = 5000;

const Filter = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 128, description }));

export const JobListQuery = Type.Object(
  {
    status: Type.Optional(Type.Array(JobStatus, { maxItems: 8, description: 'one status or several (repeat the parameter)' })),
    package: Filter('source package'),
    version: Filter('version'),
    suite: Filter('suite'),
    dist: Filter('distribution'),
    arch: Filter('architecture'),
    format: Filter('format'),
    env: Filter('build environment'),
    project: Filter('project'),
    builder: Filter('builder that took it'),
    unfinished: Type.Optional(Type.Boolean({ description: 'only Waiting, Blocked, Building and Cancelling jobs' })),
    order: Type.Optional(Type.Enum(['newest', 'oldest'], { description: 'by id; newest first unless told' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'page size, 50 unless told' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

export const StatusParams = Type.Object({ status: JobStatus }, { additionalProperties: false });

export const Submitted = Type.Union([JobSummary, Type.Object({ jobs: Type.Array(JobSummary, { description: 'one job per architecture' }) })], {
  description: 'the job, Waiting; or `{ jobs }` when the submission made one per architecture',
});

export const Batch = Type.Object(
  { jobs: Type.Array(JobSubmission, { minItems: 1, maxItems: MAX_BATCH_JOBS }) },
  { additionalProperties: false },
);

export const StatusUpdate = Type.Object(
  {
    status: Type.String({ minLength: 1, maxLength: 32, description: 'only "Cancelled" is taken: builders report over RabbitMQ' }),
    client: Type.Optional(Type.String({ maxLength: 128, description: "pyBit's reporting build client; ignored" })),
  },
  { additionalProperties: false },
);

export const Cancelled = Type.Object({ cancelled: Type.Integer({ description: 'jobs cancelled (or asked to stop, when building)' }) });
