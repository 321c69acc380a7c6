import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const Name = Type.String({ minLength: 1, maxLength: 128 });

/** A repository whose pushes build, as listed in TSBIT_HOOKS_FILE. */
export const RepositoryHook = Type.Object(
  {
    /** "owner/name" as the forge names it, or the clone URL. */
    repository: Type.String({ minLength: 1, maxLength: 512 }),
    /** GitHub's and Gitea's HMAC key; GitLab's token. */
    secret: Type.String({ minLength: 8, maxLength: 512 }),
    package: Name,
    suites: Type.Array(Name, { minItems: 1 }),
    /** "any" (every architecture of the suite, the default), "all" (its master) or a list. */
    arch: Type.Optional(Type.String({ minLength: 1 })),
    format: Type.Optional(Name),
    dist: Type.Optional(Name),
    env: Type.Optional(Name),
    /** Upstream part of the version a push is built as: `<baseVersion>+git<yyyymmdd>.<hhmmss>.<commit>`. */
    baseVersion: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** Only pushes to these branches (or tags) build; every one when left out. */
    branches: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** Clone from here instead of the URL the forge sends (a mirror, an SSH URL). */
    url: Type.Optional(Type.String({ minLength: 1 })),
    /** Project the jobs count against in fair scheduling; the repository when left out. */
    project: Type.Optional(Name),
  },
  { additionalProperties: false },
);
export type RepositoryHook = Static<typeof RepositoryHook>;

const HooksFile = Type.Array(RepositoryHook);

/** Checks a hooks configuration, naming the entry and field of every mistake. */
export function parseHooks(value: unknown, source: string): RepositoryHook[] {
  const problems = [...Value.Errors(HooksFile, value)].map((error) => `${error.path || '/'}: ${error.message}`);
  if (problems.length > 0) throw new Error(`${source}: not a hooks configuration:\n  ${problems.slice(0, 10).join('\n  ')}`);
  return value as RepositoryHook[];
}

/** The hooks of TSBIT_HOOKS_FILE; none when it is not set. Read once, at start-up. */
export function loadHooks(path: string): RepositoryHook[] {
  if (path === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`TSBIT_HOOKS_FILE=${path}: ${(error as Error).message}`);
  }
  return parseHooks(parsed, `TSBIT_HOOKS_FILE=${path}`);
}
