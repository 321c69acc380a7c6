import { DomainError } from '../decider';
import { isValidDebianVersion } from '../debian-version';
import type { SubmittedJob } from './state';

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
const CATALOG_NAME = /^[a-z0-9][a-z0-9+_-]*$/i;
const SOURCE_METHODS = ['git', 'svn', 'apt', 'dsc'];
// A ref or URL reaches git and svn as an argument: no leading '-', no whitespace or control characters.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const SAFE_ARGUMENT = /^[^\s\x00-\x1f\x7f-]\S*$/;
export const MIN_PRIORITY = -10;
export const MAX_PRIORITY = 10;

const invalid = (field: string, rule: string): never => {
  throw new DomainError('validation', `${field}: ${rule}`, field);
};

/** The rules a submission must keep whatever the catalogue says. */
export function validateSubmission(job: Omit<SubmittedJob, 'submittedAt'>): void {
  if (!PACKAGE_NAME.test(job.package)) invalid('package', 'must be a Debian package name: lower case letters, digits, "+", "-" and ".", at least two characters, starting with a letter or digit');
  if (!isValidDebianVersion(job.version)) invalid('version', `"${job.version}" is not a valid Debian version`);
  for (const field of ['suite', 'arch', 'format'] as const) {
    if (!CATALOG_NAME.test(job[field])) invalid(field, 'must be a name of letters, digits, "+", "_" and "-"');
  }
  if (job.dist !== '' && !CATALOG_NAME.test(job.dist)) invalid('dist', 'must be a name of letters, digits, "+", "_" and "-"');
  if (job.env !== '' && !CATALOG_NAME.test(job.env)) invalid('env', 'must be a name of letters, digits, "+", "_" and "-"');
  if (!SOURCE_METHODS.includes(job.source.method)) invalid('source.method', `must be one of ${SOURCE_METHODS.join(', ')}`);
  // An apt source comes from the builders' archives: a URL is optional (it names another archive).
  if (job.source.url === '' && job.source.method !== 'apt') invalid('source.url', `is required for method ${job.source.method}`);
  if (job.source.url !== '' && !SAFE_ARGUMENT.test(job.source.url)) invalid('source.url', 'must not start with "-" or contain white space or control characters');
  if (job.source.method === 'apt' && job.source.url !== '' && !/^https?:\/\//.test(job.source.url)) {
    invalid('source.url', "for method apt: an archive's http(s) URL, or empty for the builders' own archives");
  }
  if (job.source.method !== 'apt' && !/^([a-z][a-z0-9+.-]*:\/\/|\/|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:)/.test(job.source.url)) {
    invalid('source.url', 'must be a URL, an absolute path or user@host:path');
  }
  if (job.source.ref !== '' && !SAFE_ARGUMENT.test(job.source.ref)) invalid('source.ref', 'must not start with "-" or contain white space or control characters');
  if (!Number.isInteger(job.priority) || job.priority < MIN_PRIORITY || job.priority > MAX_PRIORITY) {
    invalid('priority', `must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}`);
  }
  for (const dependency of job.dependsOn) {
    if (!Number.isInteger(dependency) || dependency <= 0) invalid('dependsOn', 'must list job ids');
    if (dependency === job.jobId) invalid('dependsOn', 'a job cannot depend on itself');
  }
}
