import { parseArgs } from 'node:util';

/**
 * The command line, parsed without I/O: argv in, the command to run (and the API request it
 * makes) out, or a UsageError naming what is wrong. Options are declared once for every command
 * so `--json`, `--api` and `--token` go anywhere on the line; each command then refuses the
 * options that are not its own.
 */

export type SourceMethod = 'git' | 'svn' | 'dsc' | 'apt';

/** The JSON body of `POST /job` (services/job-intake/src/jobs/job-request.ts). */
export interface JobSubmissionBody {
  package: string;
  version: string;
  suite: string;
  arch: string;
  format: string;
  source: { method: SourceMethod; url: string; ref?: string };
  dependsOn?: number[];
  project?: string;
  priority?: number;
}

/** The query of `GET /job`: `status` repeats, as the API reads several. */
export interface JobQuery {
  status?: string[];
  package?: string;
  suite?: string;
  arch?: string;
  limit?: number;
  cursor?: string;
}

export type Command =
  | { type: 'help' }
  | { type: 'submit'; body: JobSubmissionBody; wait: boolean }
  | { type: 'jobs'; query: JobQuery }
  | { type: 'job' | 'watch' | 'cancel' | 'retry' | 'rebuild-check'; jobId: number }
  | { type: 'log'; jobId: number; follow: boolean }
  | { type: 'cancel-package'; package: string }
  | { type: 'builders' }
  | { type: 'pause' | 'resume' | 'retire'; builder: string }
  | { type: 'token-issue'; name: string; role: string }
  | { type: 'token-list' }
  | { type: 'token-revoke'; tokenId: string };

export interface Invocation {
  command: Command;
  json: boolean;
  apiUrl?: string;
  token?: string;
}

export class UsageError extends Error {
  constructor(
    message: string,
    /** The usage line of the command concerned, or the whole usage when no command was recognised. */
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * An apt job names no archive: the builders fetch it from their own APT sources (see
 * services/builder/src/sources/apt.ts), and the API takes an apt source without a URL.
 */
export const APT_SOURCE_URL = '';
export const DEFAULT_ARCH = 'any';
export const DEFAULT_FORMAT = 'deb';

const OPTIONS = {
  json: { type: 'boolean' },
  api: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  package: { type: 'string' },
  version: { type: 'string' },
  suite: { type: 'string' },
  arch: { type: 'string' },
  format: { type: 'string' },
  git: { type: 'string' },
  ref: { type: 'string' },
  svn: { type: 'string' },
  revision: { type: 'string' },
  dsc: { type: 'string' },
  apt: { type: 'boolean' },
  'depends-on': { type: 'string' },
  project: { type: 'string' },
  priority: { type: 'string' },
  wait: { type: 'boolean' },
  follow: { type: 'boolean', short: 'f' },
  status: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
} as const;
type OptionName = keyof typeof OPTIONS;
type Values = { [name in OptionName]?: (typeof OPTIONS)[name]['type'] extends 'boolean' ? boolean : string };

const GLOBAL_OPTIONS: readonly OptionName[] = ['json', 'api', 'token', 'help'];

interface CommandSpec {
  usage: string;
  positionals: readonly string[];
  options: readonly OptionName[];
  build(values: Values, positionals: string[], usage: string): Command;
}

const jobCommand =
  (type: 'job' | 'watch' | 'cancel' | 'retry' | 'rebuild-check', summary: string): CommandSpec => ({
    usage: `tsbit ${type} ID    ${summary}`,
    positionals: ['ID'],
    options: [],
    build: (_values, [id], usage) => ({ type, jobId: positiveInteger('ID', id!, usage) }),
  });

const SUBMIT_OPTIONS: readonly OptionName[] = ['package', 'version', 'suite', 'arch', 'format', 'git', 'ref', 'svn', 'revision', 'dsc', 'apt', 'depends-on', 'project', 'priority', 'wait'];

const COMMANDS: Record<string, CommandSpec> = {
  submit: {
    usage:
      'tsbit submit --package P --version V --suite S [--arch amd64,arm64|any|all] [--format deb|rpm] (--git URL [--ref REF] | --svn URL [--revision R] | --dsc URL | --apt [--ref VERSION]) [--depends-on N,...] [--project X] [--priority N] [--wait]',
    positionals: [],
    options: SUBMIT_OPTIONS,
    build: (values, _positionals, usage) => ({ type: 'submit', body: submissionFrom(values, usage), wait: values.wait ?? false }),
  },
  jobs: {
    usage: 'tsbit jobs [--status S,...] [--package P] [--suite S] [--arch A] [--limit N] [--cursor C]',
    positionals: [],
    options: ['status', 'package', 'suite', 'arch', 'limit', 'cursor'],
    build: (values, _positionals, usage) => ({
      type: 'jobs',
      query: definedOnly({
        status: values.status === undefined ? undefined : list('--status', values.status, usage),
        package: values.package,
        suite: values.suite,
        arch: values.arch,
        limit: values.limit === undefined ? undefined : positiveInteger('--limit', values.limit, usage),
        cursor: values.cursor,
      }),
    }),
  },
  job: jobCommand('job', 'status, reason, history and artifacts of a job'),
  watch: jobCommand('watch', 'follow a job until it finishes (exit code 0 only if Done)'),
  cancel: jobCommand('cancel', 'cancel a job, even a running one'),
  retry: jobCommand('retry', 'start a new attempt of a failed or cancelled job'),
  'rebuild-check': jobCommand('rebuild-check', 'build a Done job again from its recorded inputs on another builder; `tsbit job` of the new job says whether the binaries are identical'),
  log: {
    usage: 'tsbit log ID [--follow]    print the build log of the latest attempt (so far); --follow (-f) prints its new lines until the build ends',
    positionals: ['ID'],
    options: ['follow'],
    build: (values, [id], usage) => ({ type: 'log', jobId: positiveInteger('ID', id!, usage), follow: values.follow ?? false }),
  },
  'cancel-package': {
    usage: 'tsbit cancel-package NAME    cancel every unfinished job of a package',
    positionals: ['NAME'],
    options: [],
    build: (_values, [name]) => ({ type: 'cancel-package', package: name! }),
  },
  builders: { usage: 'tsbit builders', positionals: [], options: [], build: () => ({ type: 'builders' }) },
  pause: {
    usage: 'tsbit pause NAME    drain a builder: it finishes its builds and takes no new one',
    positionals: ['NAME'],
    options: [],
    build: (_values, [builder]) => ({ type: 'pause', builder: builder! }),
  },
  resume: {
    usage: 'tsbit resume NAME    let a drained builder take work again',
    positionals: ['NAME'],
    options: [],
    build: (_values, [builder]) => ({ type: 'resume', builder: builder! }),
  },
  retire: {
    usage: 'tsbit retire NAME    remove a lost or drained builder from the list',
    positionals: ['NAME'],
    options: [],
    build: (_values, [builder]) => ({ type: 'retire', builder: builder! }),
  },
  'token issue': {
    usage: 'tsbit token issue NAME ROLE    ROLE: admin, submitter or builder; the secret is shown once',
    positionals: ['NAME', 'ROLE'],
    options: [],
    build: (_values, [name, role]) => ({ type: 'token-issue', name: name!, role: role! }),
  },
  'token list': { usage: 'tsbit token list', positionals: [], options: [], build: () => ({ type: 'token-list' }) },
  'token revoke': {
    usage: 'tsbit token revoke ID',
    positionals: ['ID'],
    options: [],
    build: (_values, [tokenId]) => ({ type: 'token-revoke', tokenId: tokenId! }),
  },
};

export const USAGE = [
  'usage: tsbit [--json] [--api URL] [--token T] <command>',
  '',
  ...Object.values(COMMANDS).map((spec) => `  ${spec.usage}`),
  '',
  'The API is --api, else TSBIT_API_URL, else http://127.0.0.1:8080; the token is --token, else',
  'TSBIT_TOKEN, else the file .tsbit/token in the current directory or one above it.',
  `--arch defaults to "${DEFAULT_ARCH}" (every architecture the suite builds), --format to "${DEFAULT_FORMAT}".`,
  '--json prints the API\'s JSON; watch and submit --wait print one JSON document a line.',
].join('\n');

export function parseInvocation(argv: readonly string[]): Invocation {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), USAGE);
  }
  const { values, positionals } = parsed;
  const globals = definedOnly({ json: values.json ?? false, apiUrl: values.api, token: values.token });
  const [word, subword] = positionals;
  if (values.help || word === 'help') {
    return { ...globals, command: { type: 'help' } };
  }
  if (word === undefined) throw new UsageError('missing command', USAGE);

  const name = word === 'token' ? `token ${subword ?? ''}`.trim() : word;
  const spec = COMMANDS[name];
  if (!spec) {
    const message = word === 'token' ? (subword === undefined ? 'missing token command: issue, list or revoke' : `unknown token command "${subword}"`) : `unknown command "${word}"`;
    throw new UsageError(message, USAGE);
  }
  const usage = `usage: ${spec.usage}`;
  for (const option of Object.keys(values) as OptionName[]) {
    if (!GLOBAL_OPTIONS.includes(option) && !spec.options.includes(option)) throw new UsageError(`${name} takes no option --${option}`, usage);
  }
  const rest = positionals.slice(name.split(' ').length);
  const missing = spec.positionals.slice(rest.length);
  if (missing.length > 0) throw new UsageError(`${name}: missing ${missing.join(' ')}`, usage);
  if (rest.length > spec.positionals.length) throw new UsageError(`${name}: unexpected argument "${rest[spec.positionals.length]}"`, usage);
  return { ...globals, command: spec.build(values, rest, usage) };
}

function submissionFrom(values: Values, usage: string): JobSubmissionBody {
  const missing = (['package', 'version', 'suite'] as const).filter((option) => values[option] === undefined);
  if (missing.length > 0) throw new UsageError(`submit: missing ${missing.map((option) => `--${option}`).join(', ')}`, usage);
  return definedOnly({
    package: values.package!,
    version: values.version!,
    suite: values.suite!,
    arch: values.arch ?? DEFAULT_ARCH,
    format: values.format ?? DEFAULT_FORMAT,
    source: sourceFrom(values, usage),
    dependsOn: values['depends-on'] === undefined ? undefined : list('--depends-on', values['depends-on'], usage).map((id) => positiveInteger('--depends-on', id, usage)),
    project: values.project,
    priority: values.priority === undefined ? undefined : integer('--priority', values.priority, usage),
  });
}

function sourceFrom(values: Values, usage: string): JobSubmissionBody['source'] {
  const given = (['git', 'svn', 'dsc', 'apt'] as const).filter((method) => values[method] !== undefined && values[method] !== false);
  if (given.length !== 1) {
    const problem = given.length === 0 ? 'missing the source' : `one source only, not ${given.map((method) => `--${method}`).join(' and ')}`;
    throw new UsageError(`submit: ${problem}: --git URL, --svn URL, --dsc URL or --apt`, usage);
  }
  const method = given[0]!;
  if (values.ref !== undefined && method !== 'git' && method !== 'apt') throw new UsageError('submit: --ref goes with --git or --apt', usage);
  if (values.revision !== undefined && method !== 'svn') throw new UsageError('submit: --revision goes with --svn', usage);
  const ref = values.ref ?? values.revision;
  const url = method === 'apt' ? APT_SOURCE_URL : (values[method] as string);
  return ref === undefined ? { method, url } : { method, url, ref };
}

const list = (option: string, value: string, usage: string): string[] => {
  const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (items.length === 0) throw new UsageError(`${option} needs at least one value`, usage);
  return items;
};

const integer = (what: string, value: string, usage: string): number => {
  if (!/^-?\d+$/.test(value)) throw new UsageError(`${what} must be an integer, not "${value}"`, usage);
  return Number(value);
};

const positiveInteger = (what: string, value: string, usage: string): number => {
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`${what} must be a positive integer, not "${value}"`, usage);
  return Number(value);
};

/** Leaves out the fields not given, so the API sees only what the user said (its schemas are strict). */
function definedOnly<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}
