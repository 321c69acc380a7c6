import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox';
import { jobStatuses } from '@tsbit/domain';

/**
 * Schemas shared by several resources. Route schemas are the API's contract: Fastify validates
 * requests and serialises responses with them, and the OpenAPI document is generated from them.
 */

export const ProblemDocument = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    field: Type.Optional(Type.String({ description: 'the request field the problem is about' })),
    code: Type.Optional(Type.String({ description: 'why a submission was refused: blacklisted, not_in_catalogue, unknown_dependency' })),
    ruleId: Type.Optional(Type.Integer({ description: 'the blacklist rule that refused it' })),
  },
  // RFC 9457 lets problems carry extensions; the serialiser must not drop them.
  { description: 'RFC 9457 problem details (application/problem+json)', additionalProperties: true },
);

const problemDescriptions: Record<number, string> = {
  400: 'the request breaks a rule; `field` names the offending field',
  401: 'no token, or a wrong or revoked one',
  403: "the token's role may not do this",
  404: 'no such resource',
  409: 'the resource is in a state that refuses this',
  412: 'the resource changed meanwhile; retry',
  422: 'the catalogue or the blacklist refuses it; `field` names the offending field',
};

/**
 * Schemas every route shares, registered once with `addSchema` and referred to by `$ref`: the
 * OpenAPI document lists them once under components instead of inlining them in every route.
 */
export const sharedSchemas: TSchema[] = [];
export function shared<T extends TSchema>(id: string, schema: T) {
  sharedSchemas.push({ $id: id, ...schema });
  return Type.Unsafe<Static<T>>({ $ref: `${id}#` });
}

const Problem = shared('Problem', ProblemDocument);

/** Response entries for the problems a route can answer with (served as application/problem+json). */
export function problems(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: problemDescriptions[status] ?? 'problem', content: { 'application/problem+json': { schema: Problem } } }]),
  );
}

export const JobStatus = Type.Enum([...jobStatuses], { description: "pyBit's status names" });

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Reason = Type.Object(
  { code: Type.String(), message: Type.String(), jobIds: Type.Array(Type.Integer()) },
  { description: 'why the job is where it is' },
);

const JobSummaryDocument = Type.Object({
  id: Type.Integer(),
  package: Type.String(),
  version: Type.String(),
  suite: Type.String(),
  dist: Type.String(),
  arch: Type.String(),
  format: Type.String(),
  env: Type.String(),
  source: Type.Object({ method: Type.String(), url: Type.String(), ref: Type.String() }),
  priority: Type.Integer(),
  project: Type.String(),
  dependsOn: Type.Array(Type.Integer()),
  buildArchIndep: Type.Boolean({ description: 'this job also builds the Architecture: all packages (the suite\'s master architecture)' }),
  retryOf: nullable(Type.Integer()),
  rebuildOf: nullable(Type.Integer({ description: 'a rebuild check: the job whose recorded inputs it builds again on another builder' })),
  status: JobStatus,
  reason: nullable(Reason),
  attempt: Type.Integer(),
  builder: nullable(Type.String()),
  failureClass: nullable(Type.Enum(['package', 'infrastructure'])),
  submittedBy: Type.String(),
  submittedAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  startedAt: nullable(Type.String({ format: 'date-time' })),
  finishedAt: nullable(Type.String({ format: 'date-time' })),
  estimatedStartAt: Type.Optional(nullable(Type.String({ format: 'date-time', description: 'for a waiting job, from recent build times' }))),
});

const BuildMode = Type.Enum(['native', 'cross', 'emulated'], {
  description: 'how the builder built it: on the architecture, cross-compiling for it (sbuild --host), or under qemu-user emulation',
});

const BuildInputs = Type.Object(
  {
    sourceFiles: Type.Array(Type.Object({ name: Type.String(), sha256: Type.String(), size: Type.String({ description: 'bytes' }) }), {
      description: 'dsc and apt sources: the .dsc and every file it lists, as downloaded',
    }),
    sourceRevision: Type.String({ description: 'git and svn sources: the commit or revision built' }),
    sourceTreeSha256: Type.String({ description: 'git and svn sources: sha256 of the tree as a normalized tar (sorted, no owners or times)' }),
    chroot: Type.String({ description: 'the chroot tarball (sbuild); empty for builds on the builder itself' }),
    chrootSha256: Type.String(),
    backend: Type.String({ description: 'sbuild, native (dpkg-buildpackage) or rpmbuild' }),
    backendVersion: Type.String(),
    buildinfo: Type.String({ description: 'name of the .buildinfo artifact (Debian builds)' }),
    mode: Type.Union([BuildMode, Type.Literal('')]),
    lintian: Type.Optional(
      Type.Object({ status: Type.String(), errors: Type.Integer(), warnings: Type.Integer(), log: Type.String(), lintianVersion: Type.String() }, { additionalProperties: true }),
    ),
  },
  { description: 'what exactly the latest successful attempt was built from' },
);

export const JobHistoryEntry = Type.Object({
  status: JobStatus,
  event: Type.String(),
  at: Type.String({ format: 'date-time' }),
  attempt: Type.Integer(),
  actor: nullable(Type.Object({ kind: Type.String(), name: Type.String() })),
  reason: nullable(Reason),
  position: Type.String({ description: 'position of the event in the log' }),
  mode: nullable(BuildMode),
});

export const Artifact = Type.Object({
  jobId: Type.Integer(),
  attempt: Type.Integer(),
  name: Type.String(),
  sha256: Type.String(),
  size: Type.Integer(),
  kind: Type.String(),
  builder: Type.String(),
  storedAt: Type.String({ format: 'date-time' }),
  url: Type.String(),
});

export const JobSummary = shared('JobSummary', JobSummaryDocument);
export const Publication = Type.Object(
  {
    attempt: Type.Integer(),
    suite: Type.String(),
    format: Type.String(),
    arch: Type.String(),
    repository: Type.String({ description: 'URL path of the repository root, e.g. /repos/deb' }),
    packages: Type.Array(Type.Object({ name: Type.String(), version: Type.String(), arch: Type.String(), filename: Type.String({ description: 'under the repository root' }) })),
    publishedAt: Type.String({ format: 'date-time' }),
    setup: Type.String({ description: 'URL path of a ready apt sources entry (<suite>.sources) or dnf .repo file' }),
    install: Type.String({ description: 'the apt-get or dnf command that installs what was published' }),
  },
  { description: 'where the build was published (PackagePublished)' },
);

const RebuildCheckStatus = Type.Enum(['pending', 'identical', 'different', 'failed'], {
  description: 'pending until the rebuild is Done; identical when every binary package has the same name and sha256; failed when the rebuild failed or was cancelled',
});

const RebuildCheck = Type.Object(
  {
    of: Type.Integer({ description: 'the job built again' }),
    status: RebuildCheckStatus,
    files: Type.Array(
      Type.Object({
        name: Type.String(),
        originalSha256: nullable(Type.String({ description: 'null: the original build made no file of that name' })),
        rebuiltSha256: nullable(Type.String({ description: 'null: the rebuild made no file of that name' })),
        identical: Type.Boolean(),
      }),
      { description: 'the binary packages (deb, udeb, rpm) of both builds, by name; empty until the rebuild is Done' },
    ),
    inputsDiffer: Type.Array(Type.String(), { description: 'recorded inputs that differ between the builds, e.g. chrootSha256, backendVersion' }),
  },
  { description: 'for a rebuild check: whether the same inputs, built on another builder, gave bit-for-bit the same binaries' },
);

export const JobView = shared(
  'JobView',
  Type.Object({
    ...JobSummaryDocument.properties,
    history: Type.Array(JobHistoryEntry),
    artifacts: Type.Array(Artifact),
    published: nullable(Publication),
    mode: nullable(BuildMode),
    inputs: nullable(BuildInputs),
    rebuildCheck: nullable(RebuildCheck),
    rebuildChecks: Type.Array(Type.Object({ id: Type.Integer(), status: RebuildCheckStatus }), { description: 'the rebuild checks asked of this job' }),
  }),
);

export const JobPage = Type.Object({
  items: Type.Array(JobSummary),
  nextCursor: nullable(Type.String({ description: 'pass as `cursor` for the next page; also in the Link header' })),
  total: Type.Optional(Type.Integer({ description: 'jobs matching the filters' })),
});

export const JobIdParams = Type.Object({ id: Type.Integer({ minimum: 1, description: 'job id' }) }, { additionalProperties: false });
export const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
export const PageParams = Type.Object({ n: Type.Integer({ minimum: 1, description: 'page number, from 1' }) }, { additionalProperties: false });
export const Count = Type.Object({ total: Type.Integer(), pages: Type.Integer(), pageSize: Type.Integer() });
