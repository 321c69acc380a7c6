import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { badRequest } from '@tsbit/service-kit';
import type { JobRequest } from '../../jobs/job-request';
import type { RepositoryHook } from './config';

export const forges = ['github', 'gitlab', 'gitea'] as const;
export type Forge = (typeof forges)[number];

const NO_COMMIT = /^0+$/;
const COMMIT = /^[0-9a-f]{7,64}$/;
const SHORT_COMMIT_LENGTH = 7;
/**
 * Checked when no configured entry names the repository, and its answer thrown away: an unknown
 * repository then costs the same HMAC as a known one with a wrong signature, so neither the
 * answer nor its timing tells an unauthenticated caller which repositories are configured.
 */
const DECOY_SECRET = 'no repository is configured under this name';

/**
 * Compares secrets in constant time. Both sides are hashed first, so neither their content nor
 * their length shows in the timing.
 */
export function sameSecret(expected: string, presented: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(expected), digest(presented));
}

const header = (headers: IncomingHttpHeaders, name: string): string => {
  const value = headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
};

/**
 * Whether the request comes from the forge that knows the repository's secret: GitHub signs the
 * exact body with HMAC-SHA256 (`X-Hub-Signature-256: sha256=<hex>`), Gitea likewise
 * (`X-Gitea-Signature: <hex>`), GitLab sends the secret itself (`X-Gitlab-Token`).
 */
export function verifySignature(forge: Forge, secret: string, headers: IncomingHttpHeaders, rawBody: Buffer): boolean {
  const hmac = () => createHmac('sha256', secret).update(rawBody).digest('hex');
  switch (forge) {
    case 'github':
      return sameSecret(`sha256=${hmac()}`, header(headers, 'x-hub-signature-256').toLowerCase());
    case 'gitea':
      return sameSecret(hmac(), header(headers, 'x-gitea-signature').toLowerCase());
    case 'gitlab':
      return header(headers, 'x-gitlab-token') !== '' && sameSecret(secret, header(headers, 'x-gitlab-token'));
  }
}

/** The forge's name of the event: push, ping, "Push Hook", "Tag Push Hook", ... */
export function eventOf(forge: Forge, headers: IncomingHttpHeaders): string {
  return header(headers, { github: 'x-github-event', gitlab: 'x-gitlab-event', gitea: 'x-gitea-event' }[forge]);
}

export const isPush = (event: string): boolean => /^(push|push hook|tag push hook)$/i.test(event.trim());

export interface Push {
  /** Every name the forge gives the repository: owner/name, clone URLs, web URL. */
  names: string[];
  cloneUrl: string;
  /** Branch or tag name, without refs/heads/ or refs/tags/. */
  ref: string;
  /** The commit pushed; empty when the ref was deleted. */
  commit: string;
  committedAt: Date | undefined;
}

type Json = Record<string, unknown>;
const object = (value: unknown): Json => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {});
const strings = (...values: unknown[]): string[] => values.filter((value): value is string => typeof value === 'string' && value !== '');

/** The body as sent: JSON, or GitHub's form encoding with the JSON in a `payload` field. */
export function parseHookBody(rawBody: Buffer, contentType: string | undefined): Json {
  try {
    if ((contentType ?? '').startsWith('application/x-www-form-urlencoded')) {
      return object(JSON.parse(new URLSearchParams(rawBody.toString('utf8')).get('payload') ?? ''));
    }
    return object(JSON.parse(rawBody.toString('utf8')));
  } catch {
    throw badRequest('body: not a JSON webhook payload', 'body');
  }
}

/** Every name the forge gives the repository of a delivery, of any event: owner/name, clone URLs, web URL. */
export function repositoryNamesOf(body: Json): string[] {
  const repository = object(body.repository);
  const project = object(body.project);
  return strings(
    repository.full_name,
    project.path_with_namespace,
    repository.clone_url,
    repository.ssh_url,
    repository.html_url,
    project.git_http_url,
    project.git_ssh_url,
    project.web_url,
    repository.git_http_url,
    repository.git_ssh_url,
    repository.homepage,
    repository.url,
  );
}

/** What a push event of any of the three forges says, in one shape. */
export function pushOf(body: Json): Push {
  const repository = object(body.repository);
  const project = object(body.project);
  const names = repositoryNamesOf(body);
  const cloneUrl = strings(repository.clone_url, project.git_http_url, repository.git_http_url)[0] ?? '';
  const ref = typeof body.ref === 'string' ? body.ref.replace(/^refs\/(heads|tags)\//, '') : '';
  // GitLab's checkout_sha is the commit even when `after` is an annotated tag's own object.
  const after = strings(body.checkout_sha, body.after)[0] ?? '';
  if (names.length === 0 || ref === '') throw badRequest('body: not a push event: repository and ref are required', 'body');
  if (!NO_COMMIT.test(after) && !COMMIT.test(after)) throw badRequest('after: not a commit id', 'after');
  const commits = Array.isArray(body.commits) ? body.commits.map(object) : [];
  const head = [object(body.head_commit), ...commits].find((commit) => commit.id === after);
  const timestamp = typeof head?.timestamp === 'string' ? new Date(head.timestamp) : undefined;
  return {
    names,
    cloneUrl,
    ref,
    commit: NO_COMMIT.test(after) ? '' : after,
    committedAt: timestamp && !Number.isNaN(timestamp.getTime()) ? timestamp : undefined,
  };
}

const normalised = (name: string): string => name.trim().toLowerCase().replace(/\/+$/, '').replace(/\.git$/, '');

/** Every configured entry of the repository, by any of the names the forge gives it. */
export function hooksFor(hooks: readonly RepositoryHook[], names: readonly string[]): RepositoryHook[] {
  const known = new Set(names.map(normalised));
  return hooks.filter((hook) => known.has(normalised(hook.repository)));
}

/**
 * The entries that accept the delivery: those whose own secret signed it. One repository may feed
 * several entries (packages, branch maps), each set up as its own webhook with its own secret.
 */
export function signedHooks(forge: Forge, candidates: readonly RepositoryHook[], headers: IncomingHttpHeaders, rawBody: Buffer): RepositoryHook[] {
  if (candidates.length === 0) {
    verifySignature(forge, DECOY_SECRET, headers, rawBody);
    return [];
  }
  return candidates.filter((hook) => verifySignature(forge, hook.secret, headers, rawBody));
}

/** Whether the entry builds pushes to this branch or tag. */
export const buildsRef = (hook: RepositoryHook, ref: string): boolean => !hook.branches || hook.branches.includes(ref);

/** The actor a forge's writes are recorded under: the forge's hook and the repository it pushed. */
export const hookActorName = (forge: Forge, push: Pick<Push, 'names'>): string => `${forge}-hook:${push.names[0] ?? ''}`;

/** The jobs an entry makes of a push: the pushed commit, for each of its suites. */
export function pushJobs(hook: RepositoryHook, push: Push, receivedAt: Date): JobRequest[] {
  const version = pushVersion(hook.baseVersion ?? '0', push.commit, push.committedAt ?? receivedAt);
  return hook.suites.map((suite) => ({
    package: hook.package,
    version,
    suite,
    dist: hook.dist ?? '',
    arch: hook.arch ?? 'any',
    format: hook.format ?? 'deb',
    env: hook.env ?? '',
    source: { method: 'git', url: hook.url ?? push.cloneUrl, ref: push.commit },
    priority: 0,
    project: hook.project ?? hook.repository,
    dependsOn: [],
    dependsOnPackages: [],
  }));
}

/**
 * The Debian version a pushed commit is built as: `<base>+git<yyyymmdd>.<hhmmss>.<commit>`, from
 * the commit's time in UTC. The time keeps later pushes newer in dpkg's ordering, so a push
 * supersedes the waiting build of an earlier one even on the same day.
 */
export function pushVersion(base: string, commit: string, at: Date): string {
  const stamp = at.toISOString();
  const date = stamp.slice(0, 10).replace(/-/g, '');
  const time = stamp.slice(11, 19).replace(/:/g, '');
  return `${base}+git${date}.${time}.${commit.slice(0, SHORT_COMMIT_LENGTH)}`;
}
