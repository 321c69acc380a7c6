import type { PoolClient } from 'pg';
import { deserializeEvent, type DomainEvent } from '@tsbit/domain';
import type { RecordedEvent } from '@tsbit/event-log';
import { evolveBuilders, touchesBuilders, type BuilderRow } from './builders/projection';
import { evolveJob, historyEntry, isJobEvent, type JobHistoryRow, type JobRow } from './jobs/projection';

const JOB_COLUMNS = [
  'package', 'version', 'suite', 'dist', 'arch', 'format', 'env', 'source', 'priority', 'project', 'depends_on', 'build_arch_indep',
  'retry_of', 'status', 'reason', 'attempt', 'queued', 'builder', 'failure_class', 'submitted_by', 'submitted_at', 'updated_at',
  'started_at', 'finished_at', 'deleted', 'stream_version', 'build_mode', 'build_inputs', 'rebuild_of', 'avoid_builder',
];
const BUILDER_COLUMNS = ['arches', 'suites', 'formats', 'slots', 'arch_support', 'unavailable', 'state', 'paused', 'running_jobs', 'registered_at', 'last_seen_at'];

interface Decoded {
  event: DomainEvent;
  recorded: RecordedEvent;
}

function decode(events: RecordedEvent[]): Decoded[] {
  const decoded: Decoded[] = [];
  for (const recorded of events) {
    try {
      decoded.push({ event: deserializeEvent(recorded.type, recorded.data), recorded });
    } catch {
      // An event type this version does not know: nothing to project, never a reason to stop.
    }
  }
  return decoded;
}

/**
 * Projects a batch of events into every read model and moves the projection's checkpoint, in one
 * transaction: rows and checkpoint never disagree after a crash. Rows are loaded once per batch,
 * evolved in memory and written back with one statement per table, so a mass submission of
 * 100,000 jobs projects in a few hundred statements, not a few hundred thousand.
 */
export async function applyEvents(client: PoolClient, schema: string, projection: string, events: RecordedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const decoded = decode(events);
  const last = events[events.length - 1] as RecordedEvent;
  await client.query('BEGIN');
  try {
    await projectJobs(client, schema, decoded);
    await projectBuilders(client, schema, decoded);
    await projectArtifacts(client, schema, decoded);
    await projectPublications(client, schema, decoded);
    await projectTokens(client, schema, decoded);
    await client.query(
      `INSERT INTO ${schema}.projection_checkpoint (name, position) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET position = GREATEST(${schema}.projection_checkpoint.position, EXCLUDED.position)`,
      [projection, last.position.toString()],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

async function projectJobs(client: PoolClient, schema: string, decoded: Decoded[]): Promise<void> {
  const jobEvents = decoded.filter((item) => isJobEvent(item.event));
  if (jobEvents.length === 0) return;
  const ids = [...new Set(jobEvents.map((item) => (item.event.data as { jobId: number }).jobId))];
  const { rows } = await client.query<{ row: JobRow }>(`SELECT to_jsonb(j) AS row FROM ${schema}.jobs j WHERE id = ANY($1::int[])`, [ids]);
  const current = new Map(rows.map(({ row }) => [row.id, row]));
  const changed = new Map<number, JobRow>();
  const history: JobHistoryRow[] = [];
  const counted = (row: JobRow | undefined): string | undefined => (row && !row.deleted ? row.status : undefined);
  const before = new Map([...current].map(([id, row]) => [id, counted(row)]));
  for (const { event, recorded } of jobEvents) {
    if (!isJobEvent(event)) continue;
    const jobId = event.data.jobId;
    const before = current.get(jobId) ?? null;
    const recordedAt = recorded.recordedAt.toISOString();
    const after = evolveJob(before, event, { version: recorded.version, recordedAt });
    if (!after || after === before) continue;
    current.set(jobId, after);
    changed.set(jobId, after);
    history.push(historyEntry(after, event, { position: recorded.position, recordedAt, causedBy: recorded.metadata.causedBy }));
  }
  if (changed.size > 0) {
    await client.query(
      `INSERT INTO ${schema}.jobs SELECT * FROM jsonb_populate_recordset(null::${schema}.jobs, $1::jsonb)
       ON CONFLICT (id) DO UPDATE SET (${JOB_COLUMNS.join(', ')}) = (${JOB_COLUMNS.map((column) => `EXCLUDED.${column}`).join(', ')})`,
      [JSON.stringify([...changed.values()])],
    );
  }
  const deltas = new Map<string, number>();
  for (const [id, row] of changed) {
    const was = before.get(id);
    const is = counted(row);
    if (was === is) continue;
    if (was) deltas.set(was, (deltas.get(was) ?? 0) - 1);
    if (is) deltas.set(is, (deltas.get(is) ?? 0) + 1);
  }
  if (deltas.size > 0) {
    await client.query(
      `INSERT INTO ${schema}.job_counts (status, n) SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (status) DO UPDATE SET n = ${schema}.job_counts.n + EXCLUDED.n`,
      [[...deltas.keys()], [...deltas.values()]],
    );
  }
  if (history.length > 0) {
    await client.query(
      `INSERT INTO ${schema}.job_history SELECT * FROM jsonb_populate_recordset(null::${schema}.job_history, $1::jsonb) ON CONFLICT (position) DO NOTHING`,
      [JSON.stringify(history)],
    );
  }
}

async function projectBuilders(client: PoolClient, schema: string, decoded: Decoded[]): Promise<void> {
  const relevant = decoded.filter((item) => touchesBuilders(item.event));
  if (relevant.length === 0) return;
  const { rows } = await client.query<{ row: BuilderRow }>(`SELECT to_jsonb(b) AS row FROM ${schema}.builders b`);
  const builders = new Map(rows.map(({ row }) => [row.name, row]));
  const before = new Map([...builders].map(([name, row]) => [name, JSON.stringify(row)]));
  for (const { event, recorded } of relevant) evolveBuilders(builders, event as Parameters<typeof evolveBuilders>[1], recorded.recordedAt.toISOString());
  const changed = [...builders.values()].filter((row) => before.get(row.name) !== JSON.stringify(row));
  const retired = [...before.keys()].filter((name) => !builders.has(name));
  if (retired.length > 0) await client.query(`DELETE FROM ${schema}.builders WHERE name = ANY($1::text[])`, [retired]);
  if (changed.length === 0) return;
  await client.query(
    `INSERT INTO ${schema}.builders SELECT * FROM jsonb_populate_recordset(null::${schema}.builders, $1::jsonb)
     ON CONFLICT (name) DO UPDATE SET (${BUILDER_COLUMNS.join(', ')}) = (${BUILDER_COLUMNS.map((column) => `EXCLUDED.${column}`).join(', ')})`,
    [JSON.stringify(changed)],
  );
}

async function projectArtifacts(client: PoolClient, schema: string, decoded: Decoded[]): Promise<void> {
  const stored = decoded.flatMap(({ event }) =>
    event.type === 'ArtifactStored'
      ? [{ job_id: event.data.jobId, attempt: event.data.attempt, name: event.data.name, sha256: event.data.sha256, size: Number(event.data.size), kind: event.data.kind, builder: event.data.builder, stored_at: event.data.storedAt }]
      : [],
  );
  if (stored.length === 0) return;
  await client.query(
    `INSERT INTO ${schema}.artifacts SELECT * FROM jsonb_populate_recordset(null::${schema}.artifacts, $1::jsonb) ON CONFLICT DO NOTHING`,
    [JSON.stringify(stored)],
  );
}

async function projectPublications(client: PoolClient, schema: string, decoded: Decoded[]): Promise<void> {
  const published = decoded.flatMap(({ event }) =>
    event.type === 'PackagePublished'
      ? [{ job_id: event.data.jobId, attempt: event.data.attempt, suite: event.data.suite, format: event.data.format, arch: event.data.arch, repository: event.data.repository, packages: event.data.packages, published_at: event.data.publishedAt }]
      : [],
  );
  if (published.length === 0) return;
  await client.query(
    `INSERT INTO ${schema}.publications SELECT * FROM jsonb_populate_recordset(null::${schema}.publications, $1::jsonb) ON CONFLICT DO NOTHING`,
    [JSON.stringify(published)],
  );
}

async function projectTokens(client: PoolClient, schema: string, decoded: Decoded[]): Promise<void> {
  for (const { event } of decoded) {
    if (event.type === 'TokenIssued') {
      const token = event.data;
      await client.query(
        `INSERT INTO ${schema}.tokens (token_id, name, role, secret_sha256, revoked, issued_by, issued_at) VALUES ($1, $2, $3, $4, false, $5, $6) ON CONFLICT DO NOTHING`,
        [token.tokenId, token.name, token.role, token.secretSha256, token.issuedBy, token.issuedAt],
      );
    } else if (event.type === 'TokenRevoked') {
      await client.query(`UPDATE ${schema}.tokens SET revoked = true WHERE token_id = $1`, [event.data.tokenId]);
    }
  }
}
