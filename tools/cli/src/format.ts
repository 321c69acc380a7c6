import type { BuilderView, IssuedToken, JobPage, JobSummary, JobView, TokenView } from './api-client';

/** What the CLI prints: pure functions of the API's answers, each returning the text without a final newline. */

const NONE = '-';
/** Columns are separated by this much space; tables are read by eye and by `awk`, both like it wide. */
const COLUMN_GAP = '  ';

/** Left-aligned columns as wide as their widest cell; the last column is not padded, so no line ends in spaces. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join(COLUMN_GAP)
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

const reasonOf = (job: Pick<JobSummary, 'reason'>): string => job.reason?.message ?? '';

const JOB_HEADERS = ['ID', 'PACKAGE', 'VERSION', 'SUITE/ARCH', 'STATUS', 'REASON'];
const jobRow = (job: JobSummary): string[] => [String(job.id), job.package, job.version, `${job.suite}/${job.arch}`, job.status, reasonOf(job)];

/** The jobs a submission made, one per architecture. */
export function renderSubmitted(jobs: readonly JobSummary[]): string {
  return renderTable(JOB_HEADERS, jobs.map(jobRow));
}

export function renderJobPage(page: JobPage): string {
  if (page.items.length === 0) return 'no jobs';
  const lines = [renderTable(JOB_HEADERS, page.items.map(jobRow))];
  const shown = page.total === undefined ? `${page.items.length} jobs` : `${page.items.length} of ${page.total} jobs`;
  lines.push('', page.nextCursor ? `${shown}; next page: --cursor ${page.nextCursor}` : shown);
  return lines.join('\n');
}

/** Wide enough for the longest label, so a job reads the same whether it shows an estimated start or not. */
const JOB_LABEL_WIDTH = 'estimated start:'.length;

const bytes = (size: number): string => (size < 1024 ? `${size} B` : size < 1024 * 1024 ? `${(size / 1024).toFixed(1)} KiB` : `${(size / 1024 / 1024).toFixed(1)} MiB`);

/** One job in full. `resolve` makes the API's relative artifact URLs absolute, so they can be pasted into curl. */
export function renderJob(job: JobView, resolve: (path: string) => string): string {
  const source = [job.source.method, job.source.url, job.source.ref].filter((part) => part !== '').join(' ');
  const fields: [string, string][] = [
    ['job', `${job.id}: ${job.package} ${job.version} ${job.suite}/${job.arch} ${job.format}${job.dist ? ` (${job.dist}${job.env ? `, ${job.env}` : ''})` : ''}`],
    ['status', job.status],
    ['reason', job.reason ? `${job.reason.message} [${job.reason.code}]` : NONE],
  ];
  if (job.estimatedStartAt) fields.push(['estimated start', job.estimatedStartAt]);
  fields.push(
    ['attempt', String(job.attempt)],
    ['builder', job.builder ?? NONE],
    ['source', source],
    ['project', `${job.project}, priority ${job.priority}`],
    ['depends on', job.dependsOn.length > 0 ? job.dependsOn.join(', ') : NONE],
    ['submitted', `${job.submittedAt} by ${job.submittedBy}`],
  );
  const lines = fields.map(([label, value]) => `${`${label}:`.padEnd(JOB_LABEL_WIDTH)} ${value}`);

  lines.push('', 'history:');
  lines.push(
    indent(
      renderTable(
        ['AT', 'STATUS', 'EVENT', 'ACTOR', 'REASON'],
        job.history.map((entry) => [entry.at, entry.status, entry.event, entry.actor ? `${entry.actor.kind}:${entry.actor.name}` : NONE, entry.reason?.message ?? '']),
      ),
    ),
  );
  lines.push('', 'artifacts:');
  lines.push(
    job.artifacts.length === 0
      ? indent('none')
      : indent(renderTable(['ATTEMPT', 'KIND', 'SIZE', 'URL'], job.artifacts.map((artifact) => [String(artifact.attempt), artifact.kind, bytes(artifact.size), resolve(artifact.url)]))),
  );
  return lines.join('\n');
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');

/** One line per change a follower sees: which job, where it is, and why. */
export function renderChange(job: JobSummary): string {
  const reason = reasonOf(job);
  return `job ${job.id} ${job.suite}/${job.arch}: ${job.status}${reason ? ` (${reason})` : ''}`;
}

/**
 * Each arch with how the builder serves it: `amd64, i386, arm64 (cross)`. Native goes unsaid, as
 * the usual case; a mode that differs between suites is given per suite.
 */
export function renderArches(builder: Pick<BuilderView, 'arches' | 'archSupport'>): string {
  return builder.arches
    .map((arch) => {
      const served = builder.archSupport.filter((support) => support.arch === arch);
      const modes = new Set(served.map((support) => support.mode));
      if (modes.size === 0 || (modes.size === 1 && modes.has('native'))) return arch;
      if (modes.size === 1) return `${arch} (${[...modes].join('')})`;
      return `${arch} (${served.map((support) => `${support.suite} ${support.mode}`).join(', ')})`;
    })
    .join(', ');
}

export function renderBuilders(builders: readonly BuilderView[]): string {
  if (builders.length === 0) return 'no builders';
  const table = renderTable(
    ['NAME', 'STATE', 'ARCHES', 'SUITES', 'FORMATS', 'SLOTS', 'RUNNING', 'LAST SEEN'],
    builders.map((builder) => [
      builder.name,
      builder.state,
      renderArches(builder),
      builder.suites.join(',') || NONE,
      builder.formats.join(','),
      String(builder.slots),
      builder.runningJobs.join(',') || NONE,
      builder.lastSeenAt,
    ]),
  );
  const gaps = builders.flatMap((builder) => builder.unavailable.map((gap) => `  ${builder.name} ${gap.suite}/${gap.arch}: ${gap.reason}\n    fix: ${gap.fix}`));
  return gaps.length === 0 ? table : [table, '', 'cannot build:', ...gaps].join('\n');
}

export function renderTokens(tokens: readonly TokenView[]): string {
  if (tokens.length === 0) return 'no tokens';
  return renderTable(
    ['ID', 'NAME', 'ROLE', 'REVOKED', 'ISSUED BY', 'ISSUED AT'],
    tokens.map((token) => [token.tokenId, token.name, token.role, token.revoked ? 'yes' : 'no', token.issuedBy, token.issuedAt]),
  );
}

/** The secret goes on a line of its own, last, so `tail -1` takes it; the API keeps only its hash. */
export function renderIssued(issued: IssuedToken): string {
  return [`issued token ${issued.tokenId} for ${issued.name} (${issued.role}); the secret is shown this once:`, issued.token].join('\n');
}

export function renderProblem(problem: { status: number; detail: string; field?: string; code?: string }): string {
  const about = [problem.field ? `field ${problem.field}` : undefined, problem.code ? `code ${problem.code}` : undefined].filter(Boolean).join(', ');
  return `tsbit: ${problem.status} ${problem.detail}${about ? ` (${about})` : ''}`;
}

export function renderUsageError(message: string, usage: string): string {
  return `tsbit: ${message}\n${usage}`;
}
