import { Type, type Static } from '@fastify/type-provider-typebox';
import { MAX_PRIORITY, MIN_PRIORITY, type SourceMethod } from '@tsbit/domain';
import { badRequest } from '@tsbit/service-kit';
import { shared } from '../http/schemas';

const SOURCE_METHODS: SourceMethod[] = ['git', 'svn', 'apt', 'dsc'];
const MAX_DEPENDENCIES = 1000;

const Name = (description: string) => Type.String({ minLength: 1, maxLength: 128, description });
const ArchList = Type.Union([
  Type.String({ minLength: 1, maxLength: 512, description: 'one architecture, a comma-separated list, "any" (every one the suite builds) or "all" (its master only)' }),
  Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 64 }),
]);

/**
 * A job submission: the JSON API's fields, and beside them pyBit's form fields (the web form, the
 * VCS hooks and old scripts send those, form-encoded). The rules on names, versions and URLs are
 * the job decider's; the schema only bounds sizes and shapes.
 */
const JobSubmissionDocument = Type.Object(
  {
    package: Name('source package name'),
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Debian version' })),
    suite: Name('suite, e.g. bookworm'),
    dist: Type.Optional(Type.String({ maxLength: 64, description: "distribution; the suite's own when omitted" })),
    arch: Type.Optional(ArchList),
    format: Name('package format, e.g. deb'),
    env: Type.Optional(Type.String({ maxLength: 64, description: 'build environment' })),
    source: Type.Optional(
      Type.Object(
        {
          method: Type.Enum(SOURCE_METHODS),
          url: Type.Optional(Type.String({ maxLength: 2048, description: "required except for method apt, whose source comes from the builders' archives" })),
          ref: Type.Optional(Type.String({ maxLength: 256, description: 'branch, tag, commit, revision or version' })),
        },
        { additionalProperties: false },
      ),
    ),
    priority: Type.Optional(Type.Integer({ minimum: MIN_PRIORITY, maximum: MAX_PRIORITY })),
    project: Type.Optional(Name("whose turn the job takes in fair scheduling; the submitter's name when omitted")),
    dependsOn: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: MAX_DEPENDENCIES, description: 'job ids this job waits for' })),
    dependsOnPackages: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: MAX_DEPENDENCIES, description: 'wait for the newest job of each of these source packages for the same suite and architecture' }),
    ),
    distribution: Type.Optional(Type.String({ maxLength: 64, description: "pyBit's name of dist" })),
    architecture_list: Type.Optional(Type.String({ maxLength: 512, description: "pyBit's name of arch (comma-separated)" })),
    package_version: Type.Optional(Type.String({ maxLength: 128, description: "pyBit's name of version" })),
    method: Type.Optional(Type.Enum(SOURCE_METHODS, { description: "pyBit's name of source.method" })),
    uri: Type.Optional(Type.String({ maxLength: 2048, description: "pyBit's name of source.url" })),
    vcs_id: Type.Optional(Type.String({ maxLength: 256, description: "pyBit's name of source.ref" })),
    commands: Type.Optional(Type.String({ maxLength: 4096, description: "pyBit's extra build commands: refused unless empty" })),
    packageinstance_id: Type.Optional(Type.String({ maxLength: 32, description: "pyBit's package instance: refused; send the job's fields" })),
  },
  { additionalProperties: false },
);
export type JobSubmission = Static<typeof JobSubmissionDocument>;
export const JobSubmission = shared('JobSubmission', JobSubmissionDocument);

/** A submission after mapping pyBit's names, before the catalogue expands its architectures. */
export interface JobRequest {
  package: string;
  version: string;
  suite: string;
  dist: string;
  arch: string | string[];
  format: string;
  env: string;
  source: { method: SourceMethod; url: string; ref: string };
  priority: number;
  project: string;
  dependsOn: number[];
  dependsOnPackages: string[];
}

/** A value that is there: form fields arrive as empty strings when left blank. */
const given = (...values: (string | undefined)[]): string | undefined => values.map((value) => value?.trim()).find((value) => value !== undefined && value !== '');

/**
 * Maps a validated submission to a job request, pyBit's form fields included. `prefix` places the
 * fields a problem names inside a batch (`jobs.3.`).
 */
export function jobRequestFrom(body: JobSubmission, submitter: string, prefix = ''): JobRequest {
  const refuse = (field: string, rule: string): never => {
    throw badRequest(`${prefix}${field}: ${rule}`, `${prefix}${field}`);
  };
  if (body.packageinstance_id !== undefined) refuse('packageinstance_id', 'tsbit has no package instances; send package, version, suite, arch, format, method and uri');
  if (given(body.commands)) refuse('commands', 'tsbit runs no extra build commands: a build is defined by its source package');
  const version = given(body.version, body.package_version) ?? refuse('version', 'is required (pyBit: package_version)');
  const arch = Array.isArray(body.arch) ? body.arch : (given(body.arch, body.architecture_list) ?? refuse('arch', 'is required: an architecture, a list, "any" or "all" (pyBit: architecture_list)'));
  let source: JobRequest['source'];
  if (body.source) {
    source = { method: body.source.method, url: body.source.url?.trim() ?? '', ref: body.source.ref?.trim() ?? '' };
  } else {
    if (body.method === undefined && given(body.uri) === undefined) refuse('source', 'is required: { method, url, ref } (pyBit: method, uri, vcs_id)');
    const method = body.method ?? refuse('method', `is required with uri: one of ${SOURCE_METHODS.join(', ')}`);
    const uri = given(body.uri) ?? (method === 'apt' ? '' : refuse('uri', 'is required with method (except apt)'));
    source = { method, url: uri, ref: given(body.vcs_id) ?? '' };
  }
  return {
    package: body.package.trim(),
    version,
    suite: body.suite.trim(),
    dist: given(body.dist, body.distribution) ?? '',
    arch,
    format: body.format.trim(),
    env: given(body.env) ?? '',
    source,
    priority: body.priority ?? 0,
    project: given(body.project) ?? submitter,
    dependsOn: body.dependsOn ?? [],
    dependsOnPackages: body.dependsOnPackages ?? [],
  };
}
