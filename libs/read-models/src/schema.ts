import type { Pool } from 'pg';

/**
 * The read models' tables. Hand-written DDL: the indexes are what keeps `GET /job` fast at
 * 100,000+ jobs (keyset pages on id, one index per common filter).
 */
export function readModelSql(schema: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${schema};
CREATE SEQUENCE IF NOT EXISTS ${schema}.job_id_seq;

CREATE TABLE IF NOT EXISTS ${schema}.jobs (
  id integer PRIMARY KEY,
  package text NOT NULL, version text NOT NULL, suite text NOT NULL, dist text NOT NULL,
  arch text NOT NULL, format text NOT NULL, env text NOT NULL,
  source jsonb NOT NULL, priority integer NOT NULL, project text NOT NULL,
  depends_on integer[] NOT NULL, build_arch_indep boolean NOT NULL, retry_of integer,
  status text NOT NULL, reason jsonb, attempt integer NOT NULL, queued boolean NOT NULL,
  builder text, failure_class text,
  submitted_by text NOT NULL, submitted_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
  started_at timestamptz, finished_at timestamptz,
  deleted boolean NOT NULL DEFAULT false,
  stream_version integer NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status_id ON ${schema}.jobs (status, id DESC) WHERE NOT deleted;
CREATE INDEX IF NOT EXISTS jobs_package_id ON ${schema}.jobs (package, id DESC) WHERE NOT deleted;
CREATE INDEX IF NOT EXISTS jobs_project_id ON ${schema}.jobs (project, id DESC) WHERE NOT deleted;
CREATE INDEX IF NOT EXISTS jobs_builder_id ON ${schema}.jobs (builder, id DESC) WHERE NOT deleted;
-- A job's place in its queue counts per priority and project (projects take turns), on the index.
DROP INDEX IF EXISTS ${schema}.jobs_queue;
-- The start estimate averages a queue's latest successful builds.
CREATE INDEX IF NOT EXISTS jobs_done_queue ON ${schema}.jobs (format, suite, arch, id DESC) WHERE status = 'Done';
CREATE INDEX IF NOT EXISTS jobs_fair_queue ON ${schema}.jobs (format, suite, arch, priority DESC, project, id) WHERE status = 'Waiting' AND NOT deleted;
CREATE INDEX IF NOT EXISTS jobs_live_id ON ${schema}.jobs (id DESC) WHERE NOT deleted;
-- pyBit's package and package instance lists group the jobs by these keys. In this order the
-- index hands the rows out already grouped, so a page is a range scan that stops at its LIMIT;
-- id DESC and the INCLUDE columns let it answer a page without visiting the table.
CREATE INDEX IF NOT EXISTS jobs_package_instance ON ${schema}.jobs (package, version, suite, arch, format, dist, env, id DESC) INCLUDE (status, build_arch_indep) WHERE NOT deleted;

-- Jobs per status, kept by the projector, so that unfiltered lists tell their total without
-- counting 100,000 rows on every page.
CREATE TABLE IF NOT EXISTS ${schema}.job_counts (
  status text PRIMARY KEY,
  n bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS ${schema}.job_history (
  position bigint PRIMARY KEY,
  job_id integer NOT NULL,
  status text NOT NULL, event text NOT NULL, at timestamptz NOT NULL, attempt integer NOT NULL,
  actor jsonb, reason jsonb
);
CREATE INDEX IF NOT EXISTS job_history_job ON ${schema}.job_history (job_id, position);
-- How each build was made and from what (BuildStarted.mode, BuildSucceeded.inputs).
ALTER TABLE ${schema}.jobs ADD COLUMN IF NOT EXISTS build_mode text;
ALTER TABLE ${schema}.jobs ADD COLUMN IF NOT EXISTS build_inputs jsonb;
ALTER TABLE ${schema}.job_history ADD COLUMN IF NOT EXISTS mode text;
-- Rebuild checks (JobSubmitted.rebuildOf, avoidBuilder); an original lists its checks by this index.
ALTER TABLE ${schema}.jobs ADD COLUMN IF NOT EXISTS rebuild_of integer;
ALTER TABLE ${schema}.jobs ADD COLUMN IF NOT EXISTS avoid_builder text;
CREATE INDEX IF NOT EXISTS jobs_rebuild_of ON ${schema}.jobs (rebuild_of, id) WHERE rebuild_of IS NOT NULL;

CREATE TABLE IF NOT EXISTS ${schema}.artifacts (
  job_id integer NOT NULL, attempt integer NOT NULL, name text NOT NULL,
  sha256 text NOT NULL, size bigint NOT NULL, kind text NOT NULL, builder text NOT NULL,
  stored_at timestamptz NOT NULL,
  PRIMARY KEY (job_id, attempt, name)
);
CREATE INDEX IF NOT EXISTS artifacts_sha256 ON ${schema}.artifacts (sha256);

-- Where each successful build was published (PackagePublished): one row per job and attempt.
CREATE TABLE IF NOT EXISTS ${schema}.publications (
  job_id integer NOT NULL, attempt integer NOT NULL,
  suite text NOT NULL, format text NOT NULL, arch text NOT NULL, repository text NOT NULL,
  packages jsonb NOT NULL, published_at timestamptz NOT NULL,
  PRIMARY KEY (job_id, attempt)
);

CREATE TABLE IF NOT EXISTS ${schema}.builders (
  name text PRIMARY KEY,
  arches text[] NOT NULL, suites text[] NOT NULL, formats text[] NOT NULL, slots integer NOT NULL,
  state text NOT NULL, paused boolean NOT NULL, running_jobs integer[] NOT NULL,
  registered_at timestamptz NOT NULL, last_seen_at timestamptz NOT NULL
);
-- How each builder serves each arch, and what it cannot build (BuilderRegistered.archSupport, .unavailable).
ALTER TABLE ${schema}.builders ADD COLUMN IF NOT EXISTS arch_support jsonb NOT NULL DEFAULT '[]';
ALTER TABLE ${schema}.builders ADD COLUMN IF NOT EXISTS unavailable jsonb NOT NULL DEFAULT '[]';

CREATE TABLE IF NOT EXISTS ${schema}.tokens (
  token_id text PRIMARY KEY,
  name text NOT NULL, role text NOT NULL, secret_sha256 text NOT NULL, revoked boolean NOT NULL,
  issued_by text NOT NULL, issued_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS ${schema}.projection_checkpoint (
  name text PRIMARY KEY,
  position bigint NOT NULL
);
`;
}

export const READ_MODEL_TABLES = ['jobs', 'job_counts', 'job_history', 'artifacts', 'publications', 'builders', 'tokens', 'projection_checkpoint'] as const;

/** Creates the read models' tables; safe to run from several services starting at once. */
export async function migrateReadModels(pool: Pool, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`${schema}.read-models`]);
    await client.query(readModelSql(schema));
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`${schema}.read-models`]).catch(() => undefined);
    client.release();
  }
}
