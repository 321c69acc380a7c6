import type { Pool } from 'pg';
import type { ArchSupport, ArchUnavailable, BuildInputs, BuildMode, JobStatus, Reason, Role } from '@tsbit/domain';
import type { BuilderRow } from './builders/projection';
import type { JobHistoryRow, JobRow } from './jobs/projection';
import { compareBuilds, rebuildCheckStatus, type BuiltFile, type ComparedInput, type RebuildCheckStatus, type RebuiltFile } from './jobs/rebuild-check';
import { explainWaiting, jobsAheadInFairQueue, waitingForOtherBuilder, type QueueAhead, type QueueCapacity, type QueuePlace } from './jobs/waiting';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;
const RECENT_BUILDS_FOR_ESTIMATE = 20;

const queueKey = (job: { format: string; suite: string; arch: string }): string => `${job.format}.${job.suite}.${job.arch}`;

export interface JobListQuery {
  status?: JobStatus | JobStatus[];
  package?: string;
  version?: string;
  suite?: string;
  dist?: string;
  arch?: string;
  format?: string;
  env?: string;
  project?: string;
  builder?: string;
  unfinished?: boolean;
  order?: 'newest' | 'oldest';
  limit?: number;
  cursor?: string;
}

export interface JobSummary {
  id: number;
  package: string;
  version: string;
  suite: string;
  dist: string;
  arch: string;
  format: string;
  env: string;
  source: { method: string; url: string; ref: string };
  priority: number;
  project: string;
  dependsOn: number[];
  buildArchIndep: boolean;
  retryOf: number | null;
  /** A rebuild check: the job whose inputs it builds again. */
  rebuildOf: number | null;
  status: JobStatus;
  reason: Reason | null;
  attempt: number;
  builder: string | null;
  failureClass: 'package' | 'infrastructure' | null;
  submittedBy: string;
  submittedAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** For a job waiting for a slot: when it should start, from recent build times. */
  estimatedStartAt?: string | null;
}

export interface JobHistoryEntry {
  status: JobStatus;
  event: string;
  at: string;
  attempt: number;
  actor: { kind: string; name: string } | null;
  reason: Reason | null;
  position: string;
  /** How the build was made (native, cross or emulated), on the start and success entries that report it. */
  mode: BuildMode | null;
}

export interface ArtifactView {
  jobId: number;
  attempt: number;
  name: string;
  sha256: string;
  size: number;
  kind: string;
  builder: string;
  storedAt: string;
  url: string;
}

/** Where a successful build's packages were published (PackagePublished). */
export interface PublicationView {
  attempt: number;
  suite: string;
  format: string;
  arch: string;
  /** URL path of the repository root on the farm's public address, e.g. /repos/deb. */
  repository: string;
  packages: { name: string; version: string; arch: string; filename: string }[];
  publishedAt: string;
  /** URL path of a ready apt sources entry or dnf .repo file for the suite, on the same address. */
  setup: string;
  /** The command that installs what was published, once `setup` is in place. */
  install: string;
}

export interface JobView extends JobSummary {
  history: JobHistoryEntry[];
  artifacts: ArtifactView[];
  /** Where it was published; null until it is (and for a build that did not succeed). */
  published: PublicationView | null;
  /** How the latest attempt is or was built: native, cross or emulated; null when its builder did not say. */
  mode: BuildMode | null;
  /** What the latest successful attempt was built from; null before one, or when its builder did not say. */
  inputs: BuildInputs | null;
  /** For a rebuild check: what it checks and, once built, whether the binaries are identical; null for other jobs. */
  rebuildCheck: RebuildCheckView | null;
  /** The rebuild checks asked of this job, oldest first. */
  rebuildChecks: { id: number; status: RebuildCheckStatus }[];
}

export interface RebuildCheckView {
  of: number;
  status: RebuildCheckStatus;
  /** The binary packages of both builds by name; empty until the rebuild is Done. */
  files: RebuiltFile[];
  /** The recorded inputs that differ between the two builds; empty until the rebuild is Done. */
  inputsDiffer: ComparedInput[];
}

export interface BuilderView {
  name: string;
  arches: string[];
  suites: string[];
  formats: string[];
  slots: number;
  /** How it serves each (suite, arch) for deb builds: native, cross or emulated, from which chroot. */
  archSupport: ArchSupport[];
  /** What it was asked to serve but cannot build, each with the reason and the command that fixes it. */
  unavailable: ArchUnavailable[];
  state: BuilderRow['state'];
  runningJobs: number[];
  registeredAt: string;
  lastSeenAt: string;
}

/** A token as authentication needs it: only the secret's hash. */
export interface StoredTokenRow {
  tokenId: string;
  name: string;
  role: Role;
  secretSha256: string;
  revoked: boolean;
}

export interface TokenView {
  tokenId: string;
  name: string;
  role: Role;
  revoked: boolean;
  issuedBy: string;
  issuedAt: string;
}

const iso = (value: string | Date | null): string | null => (value === null ? null : new Date(value).toISOString());

export function toSummary(row: JobRow): JobSummary {
  return {
    id: row.id,
    package: row.package,
    version: row.version,
    suite: row.suite,
    dist: row.dist,
    arch: row.arch,
    format: row.format,
    env: row.env,
    source: row.source,
    priority: row.priority,
    project: row.project,
    dependsOn: row.depends_on,
    buildArchIndep: row.build_arch_indep,
    retryOf: row.retry_of,
    rebuildOf: row.rebuild_of ?? null,
    status: row.status,
    reason: row.reason,
    attempt: row.attempt,
    builder: row.builder,
    failureClass: row.failure_class,
    submittedBy: row.submitted_by,
    submittedAt: iso(row.submitted_at) as string,
    updatedAt: iso(row.updated_at) as string,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
}

const toArtifact = (row: { job_id: number; attempt: number; name: string; sha256: string; size: string; kind: string; builder: string; stored_at: Date }): ArtifactView => ({
  jobId: row.job_id,
  attempt: row.attempt,
  name: row.name,
  sha256: row.sha256,
  size: Number(row.size),
  kind: row.kind,
  builder: row.builder,
  storedAt: row.stored_at.toISOString(),
  url: `/artifacts/${row.sha256}/${encodeURIComponent(row.name)}`,
});

type PublicationRow = { attempt: number; suite: string; format: string; arch: string; repository: string; packages: PublicationView['packages']; published_at: Date };

export function toPublication(row: PublicationRow): PublicationView {
  const binaries = row.packages.filter((item) => item.arch !== 'source' && item.arch !== 'src');
  const deb = row.format === 'deb';
  return {
    attempt: row.attempt,
    suite: row.suite,
    format: row.format,
    arch: row.arch,
    repository: row.repository,
    packages: row.packages,
    publishedAt: row.published_at.toISOString(),
    setup: deb ? `${row.repository}/${row.suite}.sources` : `/repos/rpm/${row.suite}.repo`,
    install: binaries.length === 0 ? '' : deb ? `apt-get install ${binaries.map((item) => `${item.name}=${item.version}`).join(' ')}` : `dnf install ${binaries.map((item) => `${item.name}-${item.version}`).join(' ')}`,
  };
}

const toBuilder = (row: BuilderRow): BuilderView => ({
  name: row.name,
  arches: row.arches,
  suites: row.suites,
  formats: row.formats,
  slots: row.slots,
  archSupport: row.arch_support,
  unavailable: row.unavailable,
  state: row.state,
  runningJobs: row.running_jobs,
  registeredAt: iso(row.registered_at) as string,
  lastSeenAt: iso(row.last_seen_at) as string,
});

export const encodeCursor = (id: number): string => Buffer.from(String(id)).toString('base64url');
export function decodeCursor(cursor: string): number {
  const id = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isInteger(id) || id <= 0) throw new RangeError('cursor: not a cursor this API handed out');
  return id;
}

export const UNFINISHED: JobStatus[] = ['Waiting', 'Blocked', 'Building', 'Cancelling'];

export type ReadModels = ReturnType<typeof createReadModels>;

/** The queries the API serves; every one reads only the read-model tables. */
export function createReadModels(pool: Pool, schema: string) {
  const select = `SELECT to_jsonb(j) AS row FROM ${schema}.jobs j`;

  /** Waiting for a build slot: not yet handed to a builder (a dispatched job waits only for it to start). */
  const waitsForSlot = (row: JobRow): boolean => row.status === 'Waiting' && row.reason?.code === 'queued' && !row.queued;

  /** The capacity of every queue the given jobs wait in, in one round trip; keyed by `queueKey`. */
  async function capacities(jobs: JobSummary[]): Promise<Map<string, QueueCapacity>> {
    const queues = [...new Map(jobs.map((job) => [queueKey(job), job])).values()];
    if (queues.length === 0) return new Map();
    const { rows } = await pool.query<QueueCapacity & { format: string; suite: string; arch: string }>(
      `SELECT q.format, q.suite, q.arch,
         count(b.name) FILTER (WHERE q.arch = ANY(b.arches))::int AS "onlineForArch",
         count(b.name) FILTER (WHERE q.arch = ANY(b.arches) AND q.suite = ANY(b.suites) AND q.format = ANY(b.formats))::int AS capable,
         coalesce(sum(b.slots) FILTER (WHERE q.arch = ANY(b.arches) AND q.suite = ANY(b.suites) AND q.format = ANY(b.formats) AND NOT b.paused), 0)::int AS "openSlots",
         coalesce(sum(cardinality(b.running_jobs)) FILTER (WHERE q.arch = ANY(b.arches) AND q.suite = ANY(b.suites) AND q.format = ANY(b.formats) AND NOT b.paused), 0)::int AS "busySlots"
       FROM unnest($1::text[], $2::text[], $3::text[]) AS q(format, suite, arch)
       LEFT JOIN ${schema}.builders b ON b.state <> 'lost'
       GROUP BY q.format, q.suite, q.arch`,
      [queues.map((job) => job.format), queues.map((job) => job.suite), queues.map((job) => job.arch)],
    );
    return new Map(rows.map((row) => [queueKey(row), { onlineForArch: row.onlineForArch, capable: row.capable, openSlots: row.openSlots, busySlots: row.busySlots }]));
  }

  /**
   * Counts on the fair-queue index only, never the whole queue: the jobs of higher priority, the
   * job's own project's before it, and of each other project (found by skipping through the
   * index, one probe per project) no more than that many, which is all the turns it gets first.
   */
  async function placeInQueue(job: JobSummary): Promise<QueuePlace> {
    const queue = `${schema}.jobs WHERE status = 'Waiting' AND NOT deleted AND format = $1 AND suite = $2 AND arch = $3`;
    const { rows } = await pool.query<QueueAhead & { average: number | null }>(
      `WITH RECURSIVE
         own AS (SELECT count(*)::int AS n FROM ${queue} AND priority = $4 AND project = $6 AND id < $5),
         projects(project) AS (
           (SELECT project FROM ${queue} AND priority = $4 ORDER BY project LIMIT 1)
           UNION ALL
           SELECT (SELECT project FROM ${queue} AND priority = $4 AND project > projects.project ORDER BY project LIMIT 1)
           FROM projects WHERE projects.project IS NOT NULL AND (SELECT n FROM own) > 0)
       SELECT
         (SELECT count(*)::int FROM ${queue} AND priority > $4) AS "higherPriority",
         (SELECT n FROM own) AS "ownProjectBefore",
         (SELECT coalesce(array_agg(turns), '{}') FROM (
            SELECT (SELECT count(*)::int FROM (SELECT 1 FROM ${queue} AND priority = $4 AND project = projects.project LIMIT (SELECT n FROM own)) taken) AS turns
            FROM projects WHERE projects.project IS NOT NULL AND projects.project <> $6) others) AS "otherProjects",
         (SELECT avg(extract(epoch FROM finished_at - started_at))::float FROM (
            SELECT finished_at, started_at FROM ${schema}.jobs d
            WHERE d.status = 'Done' AND d.format = $1 AND d.suite = $2 AND d.arch = $3 ORDER BY d.id DESC LIMIT ${RECENT_BUILDS_FOR_ESTIMATE}) recent) AS average`,
      [job.format, job.suite, job.arch, job.priority, job.id, job.project],
    );
    const row = rows[0] as QueueAhead & { average: number | null };
    return { ahead: jobsAheadInFairQueue(row), averageBuildSeconds: row.average };
  }

  /**
   * Why the waiting jobs among `jobs` wait. A list page says who can build each job; its place in
   * the queue and an estimate need a count over the queue per job, so only `withPlace` (one job)
   * gets them.
   */
  async function explain(rows: JobRow[], withPlace: boolean): Promise<JobSummary[]> {
    const jobs = rows.map(toSummary);
    const waiting = new Set(rows.filter(waitsForSlot).map((row) => row.id));
    if (waiting.size === 0) return jobs;
    const byQueue = await capacities(jobs.filter((job) => waiting.has(job.id)));
    const now = new Date();
    return Promise.all(
      jobs.map(async (job) => {
        const capacity = byQueue.get(queueKey(job));
        if (!waiting.has(job.id) || !capacity) return job;
        const place = withPlace && capacity.openSlots > 0 ? await placeInQueue(job) : undefined;
        return { ...job, ...explainWaiting(job, capacity, place, now) };
      }),
    );
  }

  /** Live, unpaused builders other than `avoid` that serve the job's queue. */
  async function otherOpenBuilders(job: { format: string; suite: string; arch: string }, avoid: string): Promise<number> {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${schema}.builders
       WHERE state <> 'lost' AND NOT paused AND name <> $4 AND $1 = ANY(formats) AND $2 = ANY(suites) AND $3 = ANY(arches)`,
      [job.format, job.suite, job.arch, avoid],
    );
    return rows[0]?.n ?? 0;
  }

  /** A rebuild check's status and, once it is Done, the comparison of its binaries and inputs with the original's. */
  async function judgeRebuildCheck(original: JobRow | undefined, check: JobRow): Promise<{ status: RebuildCheckStatus; files: RebuiltFile[]; inputsDiffer: ComparedInput[] }> {
    if (!original || (check.status !== 'Done' && check.status !== 'Uploaded')) return { status: rebuildCheckStatus(check.status, null), files: [], inputsDiffer: [] };
    const { rows } = await pool.query<BuiltFile & { job_id: number }>(
      `SELECT job_id, name, sha256, kind FROM ${schema}.artifacts WHERE (job_id = $1 AND attempt = $2) OR (job_id = $3 AND attempt = $4)`,
      [original.id, original.attempt, check.id, check.attempt],
    );
    const comparison = compareBuilds(
      { files: rows.filter((file) => file.job_id === original.id), inputs: original.build_inputs ?? null },
      { files: rows.filter((file) => file.job_id === check.id), inputs: check.build_inputs ?? null },
    );
    return { status: rebuildCheckStatus(check.status, comparison), files: comparison.files, inputsDiffer: comparison.inputsDiffer };
  }

  async function rebuildCheckOf(check: JobRow): Promise<RebuildCheckView | null> {
    if (!check.rebuild_of) return null;
    const { rows } = await pool.query<{ row: JobRow }>(`${select} WHERE id = $1`, [check.rebuild_of]);
    return { of: check.rebuild_of, ...(await judgeRebuildCheck(rows[0]?.row, check)) };
  }

  async function rebuildChecksOf(original: JobRow): Promise<{ id: number; status: RebuildCheckStatus }[]> {
    const { rows } = await pool.query<{ row: JobRow }>(`${select} WHERE rebuild_of = $1 AND NOT deleted ORDER BY id`, [original.id]);
    return Promise.all(rows.map(async ({ row }) => ({ id: row.id, status: (await judgeRebuildCheck(original, row)).status })));
  }

  /** A waiting rebuild check that only its original's builder could take says so, instead of its place in the queue. */
  async function explainRebuildCheckWait(row: JobRow, job: JobSummary): Promise<JobSummary> {
    // With no builder for the queue at all, that is the reason; with only the original's, this one.
    if (!row.rebuild_of || !row.avoid_builder || !waitsForSlot(row) || job.reason?.code !== 'queued') return job;
    const reason = waitingForOtherBuilder({ ...job, rebuildOf: row.rebuild_of, avoidBuilder: row.avoid_builder }, await otherOpenBuilders(job, row.avoid_builder));
    return reason ? { ...job, reason, estimatedStartAt: null } : job;
  }

  return {
    packages: createPackageQueries(pool, schema),

    jobs: {
      /** Where a waiting job stands in its queue (what GET /job/:id counts when a builder can take it). */
      async placeInQueue(id: number): Promise<QueuePlace | undefined> {
        const { rows } = await pool.query<{ row: JobRow }>(`${select} WHERE id = $1 AND NOT deleted AND status = 'Waiting'`, [id]);
        const row = rows[0]?.row;
        return row ? placeInQueue(toSummary(row)) : undefined;
      },

      async get(id: number): Promise<JobView | undefined> {
        const { rows } = await pool.query<{ row: JobRow }>(`${select} WHERE id = $1 AND NOT deleted`, [id]);
        const row = rows[0]?.row;
        if (!row) return undefined;
        const [explained, history, artifacts, publications, rebuildCheck, rebuildChecks] = await Promise.all([
          explain([row], true),
          this.history(id),
          pool.query(`SELECT * FROM ${schema}.artifacts WHERE job_id = $1 ORDER BY attempt, name`, [id]),
          pool.query<PublicationRow>(`SELECT * FROM ${schema}.publications WHERE job_id = $1 ORDER BY attempt DESC LIMIT 1`, [id]),
          rebuildCheckOf(row),
          rebuildChecksOf(row),
        ]);
        const publication = publications.rows[0];
        return {
          ...(await explainRebuildCheckWait(row, explained[0] as JobSummary)),
          history: history ?? [],
          artifacts: artifacts.rows.map(toArtifact),
          published: publication ? toPublication(publication) : null,
          mode: row.build_mode ?? null,
          inputs: row.build_inputs ?? null,
          rebuildCheck,
          rebuildChecks,
        };
      },

      async list(query: JobListQuery): Promise<{ items: JobSummary[]; nextCursor: string | null; total: number }> {
        const where: string[] = ['NOT deleted'];
        const values: unknown[] = [];
        const add = (sql: (placeholder: string) => string, value: unknown): void => {
          values.push(value);
          where.push(sql(`$${values.length}`));
        };
        const statuses = query.unfinished ? UNFINISHED : query.status === undefined ? undefined : Array.isArray(query.status) ? query.status : [query.status];
        if (statuses) add((p) => `status = ANY(${p}::text[])`, statuses);
        for (const field of ['package', 'version', 'suite', 'dist', 'arch', 'format', 'env', 'project', 'builder'] as const) {
          const value = query[field];
          if (value !== undefined) add((p) => `${field} = ${p}`, value);
        }
        const filters = [...where];
        const filterValues = [...values];
        const onlyByStatus = (['package', 'version', 'suite', 'dist', 'arch', 'format', 'env', 'project', 'builder'] as const).every((field) => query[field] === undefined);
        const newest = query.order !== 'oldest';
        if (query.cursor) add((p) => `id ${newest ? '<' : '>'} ${p}`, decodeCursor(query.cursor));
        const limit = Math.min(Math.max(query.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
        const [page, count] = await Promise.all([
          pool.query<{ row: JobRow }>(`${select} WHERE ${where.join(' AND ')} ORDER BY id ${newest ? 'DESC' : 'ASC'} LIMIT ${limit + 1}`, values),
          onlyByStatus
            ? pool.query<{ total: number }>(`SELECT coalesce(sum(n), 0)::int AS total FROM ${schema}.job_counts WHERE $1::text[] IS NULL OR status = ANY($1::text[])`, [statuses ?? null])
            : pool.query<{ total: number }>(`SELECT count(*)::int AS total FROM ${schema}.jobs WHERE ${filters.join(' AND ')}`, filterValues),
        ]);
        const items = await explain(page.rows.slice(0, limit).map(({ row }) => row), false);
        const last = items[items.length - 1];
        return { items, nextCursor: page.rows.length > limit && last ? encodeCursor(last.id) : null, total: count.rows[0]?.total ?? 0 };
      },

      async history(id: number): Promise<JobHistoryEntry[] | undefined> {
        const { rows } = await pool.query<JobHistoryRow & { at: Date }>(`SELECT * FROM ${schema}.job_history WHERE job_id = $1 ORDER BY position`, [id]);
        return rows.map((row) => ({
          status: row.status,
          event: row.event,
          at: new Date(row.at).toISOString(),
          attempt: row.attempt,
          actor: row.actor,
          reason: row.reason,
          position: String(row.position),
          mode: row.mode ?? null,
        }));
      },

      async unfinishedOfPackage(q: { package: string; dist: string; suite: string; arch: string; env: string }): Promise<JobSummary[]> {
        const { rows } = await pool.query<{ row: JobRow }>(
          `${select} WHERE NOT deleted AND status = ANY($1::text[]) AND package = $2 AND dist = $3 AND suite = $4 AND arch = $5 AND env = $6`,
          [UNFINISHED, q.package, q.dist, q.suite, q.arch, q.env],
        );
        return rows.map(({ row }) => toSummary(row));
      },

      /** Unfinished jobs of any of these packages, for superseding a whole batch in one query. */
      async unfinishedOfPackages(packages: string[]): Promise<JobSummary[]> {
        const { rows } = await pool.query<{ row: JobRow }>(`${select} WHERE NOT deleted AND status = ANY($1::text[]) AND package = ANY($2::text[])`, [UNFINISHED, packages]);
        return rows.map(({ row }) => toSummary(row));
      },
    },

    artifacts: {
      async forJob(jobId: number): Promise<ArtifactView[]> {
        const { rows } = await pool.query(`SELECT * FROM ${schema}.artifacts WHERE job_id = $1 ORDER BY attempt, name`, [jobId]);
        return rows.map(toArtifact);
      },
      async bySha256(sha256: string): Promise<ArtifactView[]> {
        const { rows } = await pool.query(`SELECT * FROM ${schema}.artifacts WHERE sha256 = $1`, [sha256]);
        return rows.map(toArtifact);
      },
    },

    builders: {
      async list(): Promise<BuilderView[]> {
        const { rows } = await pool.query<{ row: BuilderRow }>(`SELECT to_jsonb(b) AS row FROM ${schema}.builders b ORDER BY name`);
        return rows.map(({ row }) => toBuilder(row));
      },
      async get(name: string): Promise<BuilderView | undefined> {
        const { rows } = await pool.query<{ row: BuilderRow }>(`SELECT to_jsonb(b) AS row FROM ${schema}.builders b WHERE name = $1`, [name]);
        return rows[0] ? toBuilder(rows[0].row) : undefined;
      },
    },

    tokens: {
      async get(tokenId: string): Promise<StoredTokenRow | undefined> {
        const { rows } = await pool.query(`SELECT * FROM ${schema}.tokens WHERE token_id = $1`, [tokenId]);
        const row = rows[0];
        return row ? { tokenId: row.token_id, name: row.name, role: row.role, secretSha256: row.secret_sha256, revoked: row.revoked } : undefined;
      },
      async list(): Promise<TokenView[]> {
        const { rows } = await pool.query(`SELECT * FROM ${schema}.tokens ORDER BY issued_at`);
        return rows.map((row) => ({ tokenId: row.token_id, name: row.name, role: row.role, revoked: row.revoked, issuedBy: row.issued_by, issuedAt: new Date(row.issued_at).toISOString() }));
      },
    },

    async nextJobId(): Promise<number> {
      return (await this.nextJobIds(1))[0] as number;
    },

    async nextJobIds(count: number): Promise<number[]> {
      const { rows } = await pool.query<{ id: string }>(`SELECT nextval('${schema}.job_id_seq') AS id FROM generate_series(1, $1)`, [count]);
      return rows.map((row) => Number(row.id));
    },

    async checkpoint(projection: string): Promise<bigint> {
      const { rows } = await pool.query<{ position: string }>(`SELECT position FROM ${schema}.projection_checkpoint WHERE name = $1`, [projection]);
      return BigInt(rows[0]?.position ?? 0);
    },
  };
}

/** The newest job ids a package instance lists; an instance's every id would grow without bound. */
export const INSTANCE_JOB_IDS = 100;

/** pyBit's `package`: a name × version that has jobs. Its key is (name, version). */
export interface PackageVersionView {
  name: string;
  version: string;
  jobs: number;
  unfinished: number;
}

/** pyBit's `packageinstance`: what one job builds. Its key is the seven fields before `master`. */
export interface PackageInstanceView {
  package: string;
  version: string;
  suite: string;
  arch: string;
  format: string;
  dist: string;
  env: string;
  /** Its newest job's `buildArchIndep`: built on the suite's master architecture. */
  master: boolean;
  /** The newest `INSTANCE_JOB_IDS` job ids, newest first. */
  jobs: number[];
}

export type PackageVersionKey = [name: string, version: string];
export type PackageInstanceKey = [pkg: string, version: string, suite: string, arch: string, format: string, dist: string, env: string];

/** The key's columns, in the order of the index `jobs_package_instance`, which every query below walks. */
const VERSION_KEY_COLUMNS = ['package', 'version'] as const;
const INSTANCE_KEY_COLUMNS = ['package', 'version', 'suite', 'arch', 'format', 'dist', 'env'] as const;

/** A keyset page: in key order (or its reverse), after the key of the previous page's last row. */
export interface KeysetPage<K> {
  descending?: boolean;
  after?: K;
  /** Without one, every row: pyBit's clients read these lists whole. */
  limit?: number;
  /** pyBit's numbered pages; a cursor (`after`) costs nothing per page skipped, an offset does. */
  offset?: number;
}

export interface PackageVersionFilters {
  name?: string;
  version?: string;
  /** Versions with exactly this many jobs: counted per version, so it narrows no index range. */
  jobs?: number;
  unfinished?: number;
}

export interface PackageInstanceFilters {
  package?: string;
  version?: string;
  suite?: string;
  arch?: string;
  format?: string;
  dist?: string;
  env?: string;
  master?: boolean;
  /** The instance that holds this job (whether or not among its newest ids). */
  job?: number;
}

export interface SqlQuery {
  text: string;
  values: unknown[];
}

/** Numbered placeholders, in the order their values are added. */
function placeholders() {
  const values: unknown[] = [];
  return {
    values,
    add(value: unknown): string {
      values.push(value);
      return `$${values.length}`;
    },
  };
}

type Placeholders = ReturnType<typeof placeholders>;

/**
 * `WHERE (key) > (after) ORDER BY key LIMIT n`: a row-value comparison is one index condition,
 * so PostgreSQL starts the scan at the cursor, groups the rows as the index hands them out, and
 * stops at the limit, however deep the page.
 */
function keysetClauses(columns: readonly string[], page: KeysetPage<string[]>, p: Placeholders): { where: string[]; tail: string } {
  const direction = page.descending ? 'DESC' : 'ASC';
  const where = page.after ? [`(${columns.join(', ')}) ${page.descending ? '<' : '>'} (${page.after.map((value) => p.add(value)).join(', ')})`] : [];
  const order = `ORDER BY ${columns.map((column) => `${column} ${direction}`).join(', ')}`;
  const limit = page.limit === undefined ? '' : ` LIMIT ${p.add(page.limit)}`;
  const offset = page.offset ? ` OFFSET ${p.add(page.offset)}` : '';
  return { where, tail: `${order}${limit}${offset}` };
}

// Written into the SQL, not bound: the statuses are the code's own constants, never a client's.
const IS_UNFINISHED = `status IN (${UNFINISHED.map((status) => `'${status}'`).join(', ')})`;

function versionFilterClauses(filters: PackageVersionFilters, p: Placeholders): { where: string[]; having: string[] } {
  const where = ['NOT deleted'];
  if (filters.name !== undefined) where.push(`package = ${p.add(filters.name)}`);
  if (filters.version !== undefined) where.push(`version = ${p.add(filters.version)}`);
  const having: string[] = [];
  if (filters.jobs !== undefined) having.push(`count(*) = ${p.add(filters.jobs)}`);
  if (filters.unfinished !== undefined) having.push(`count(*) FILTER (WHERE ${IS_UNFINISHED}) = ${p.add(filters.unfinished)}`);
  return { where, having };
}

const MASTER = '(array_agg(build_arch_indep ORDER BY id DESC))[1]';

function instanceFilterClauses(schema: string, filters: PackageInstanceFilters, p: Placeholders): { where: string[]; having: string[] } {
  const where = ['NOT deleted'];
  for (const column of INSTANCE_KEY_COLUMNS) {
    const value = filters[column];
    if (value !== undefined) where.push(`${column} = ${p.add(value)}`);
  }
  // The job's own key: one primary-key lookup, then the index range of its instance.
  if (filters.job !== undefined) {
    where.push(`(${INSTANCE_KEY_COLUMNS.join(', ')}) = (SELECT ${INSTANCE_KEY_COLUMNS.join(', ')} FROM ${schema}.jobs WHERE id = ${p.add(filters.job)} AND NOT deleted)`);
  }
  const having = filters.master === undefined ? [] : [`${MASTER} = ${p.add(filters.master)}`];
  return { where, having };
}

const havingClause = (having: string[]): string => (having.length === 0 ? '' : ` HAVING ${having.join(' AND ')}`);

/** Package versions, grouped by the database in key order; pure, so the SQL can be read in a test. */
export function packageVersionsSql(schema: string, query: PackageVersionFilters & KeysetPage<PackageVersionKey>): SqlQuery {
  const p = placeholders();
  const { where, having } = versionFilterClauses(query, p);
  const keyset = keysetClauses(VERSION_KEY_COLUMNS, query, p);
  return {
    text: `SELECT package AS name, version, count(*)::int AS jobs, count(*) FILTER (WHERE ${IS_UNFINISHED})::int AS unfinished
      FROM ${schema}.jobs WHERE ${[...where, ...keyset.where].join(' AND ')}
      GROUP BY ${VERSION_KEY_COLUMNS.join(', ')}${havingClause(having)} ${keyset.tail}`,
    values: p.values,
  };
}

export function packageVersionCountSql(schema: string, filters: PackageVersionFilters): SqlQuery {
  const p = placeholders();
  const { where, having } = versionFilterClauses(filters, p);
  return {
    text: `SELECT count(*)::int AS total FROM (SELECT FROM ${schema}.jobs WHERE ${where.join(' AND ')}
      GROUP BY ${VERSION_KEY_COLUMNS.join(', ')}${havingClause(having)}) versions`,
    values: p.values,
  };
}

/** Package instances, grouped by the database in key order, each with its newest job ids. */
export function packageInstancesSql(schema: string, query: PackageInstanceFilters & KeysetPage<PackageInstanceKey>): SqlQuery {
  const p = placeholders();
  const { where, having } = instanceFilterClauses(schema, query, p);
  const keyset = keysetClauses(INSTANCE_KEY_COLUMNS, query, p);
  return {
    text: `SELECT ${INSTANCE_KEY_COLUMNS.join(', ')}, ${MASTER} AS master, (array_agg(id ORDER BY id DESC))[1:${INSTANCE_JOB_IDS}] AS jobs
      FROM ${schema}.jobs WHERE ${[...where, ...keyset.where].join(' AND ')}
      GROUP BY ${INSTANCE_KEY_COLUMNS.join(', ')}${havingClause(having)} ${keyset.tail}`,
    values: p.values,
  };
}

export function packageInstanceCountSql(schema: string, filters: PackageInstanceFilters): SqlQuery {
  const p = placeholders();
  const { where, having } = instanceFilterClauses(schema, filters, p);
  return {
    text: `SELECT count(*)::int AS total FROM (SELECT FROM ${schema}.jobs WHERE ${where.join(' AND ')}
      GROUP BY ${INSTANCE_KEY_COLUMNS.join(', ')}${havingClause(having)}) instances`,
    values: p.values,
  };
}

/** A page of rows asked with `limit + 1`: the extra row only says that another page follows. */
function pageOfRows<T>(rows: T[], limit: number | undefined): { items: T[]; hasMore: boolean } {
  return limit === undefined || rows.length <= limit ? { items: rows, hasMore: false } : { items: rows.slice(0, limit), hasMore: true };
}

const oneMore = (limit: number | undefined): number | undefined => (limit === undefined ? undefined : limit + 1);

/**
 * pyBit's package resources, grouped from the jobs by PostgreSQL: hand-written SQL, because the
 * keyset comparison and the index it walks (`jobs_package_instance`) are what keep a page cheap
 * at 100,000 jobs.
 */
export function createPackageQueries(pool: Pool, schema: string) {
  return {
    async versions(query: PackageVersionFilters & KeysetPage<PackageVersionKey>): Promise<{ items: PackageVersionView[]; hasMore: boolean }> {
      const { text, values } = packageVersionsSql(schema, { ...query, limit: oneMore(query.limit) });
      return pageOfRows((await pool.query<PackageVersionView>(text, values)).rows, query.limit);
    },
    async countVersions(filters: PackageVersionFilters): Promise<number> {
      const { text, values } = packageVersionCountSql(schema, filters);
      return (await pool.query<{ total: number }>(text, values)).rows[0]?.total ?? 0;
    },
    async instances(query: PackageInstanceFilters & KeysetPage<PackageInstanceKey>): Promise<{ items: PackageInstanceView[]; hasMore: boolean }> {
      const { text, values } = packageInstancesSql(schema, { ...query, limit: oneMore(query.limit) });
      return pageOfRows((await pool.query<PackageInstanceView>(text, values)).rows, query.limit);
    },
    async countInstances(filters: PackageInstanceFilters): Promise<number> {
      const { text, values } = packageInstanceCountSql(schema, filters);
      return (await pool.query<{ total: number }>(text, values)).rows[0]?.total ?? 0;
    },
    /** Every package name with a job, in order; `jobs_package_id` hands them out sorted. */
    async names(): Promise<string[]> {
      const { rows } = await pool.query<{ package: string }>(`SELECT DISTINCT package FROM ${schema}.jobs WHERE NOT deleted ORDER BY package`);
      return rows.map((row) => row.package);
    },
  };
}
