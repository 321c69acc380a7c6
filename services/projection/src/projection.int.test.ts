import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { serializeEvent, type DomainEvent } from '@tsbit/domain';
import { PostgresEventLog } from '@tsbit/event-log';
import { READ_MODEL_TABLES } from '@tsbit/read-models';
import { builtJob, submittedJob, at } from '@tsbit/read-models/testing';
import { createLogger, waitFor } from '@tsbit/service-kit';
import { createProjection } from './app';
import { PROJECTION_NAME } from './projector';
import { rebuildInto } from './rebuild-read-models';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

describe('the projection service', () => {
  const schema = `proj_${randomBytes(4).toString('hex')}`;
  const shadow = `${schema}_shadow`;
  const logger = createLogger('projection-test', 'silent');
  let pool: Pool;
  let log: PostgresEventLog;

  const append = async (stream: string, events: DomainEvent[]) => {
    const existing = await log.readStream(stream);
    await log.append(stream, events.map(serializeEvent), existing.length === 0 ? 'no_stream' : existing.length - 1);
  };
  const caughtUp = () =>
    waitFor('the projection to reach the head of the log', async () => {
      const head = await log.headPosition();
      const { rows } = await pool.query(`SELECT position FROM ${schema}.projection_checkpoint WHERE name = $1`, [PROJECTION_NAME]);
      return rows[0] !== undefined && BigInt(rows[0].position) === head;
    });
  const tableContents = async (target: string) =>
    Object.fromEntries(
      await Promise.all(
        READ_MODEL_TABLES.map(async (table) => [table, (await pool.query(`SELECT to_jsonb(t) AS row FROM ${target}.${table} t`)).rows.map((row) => JSON.stringify(row.row)).sort()] as const),
      ),
    );

  beforeAll(async () => {
    pool = new Pool({ connectionString: DATABASE_URL });
    log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema, pool });
  });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.query(`DROP SCHEMA IF EXISTS ${shadow} CASCADE`);
    await pool.end();
  });

  it('projects live events, resumes from its checkpoint, and equals a rebuild from position 0', async () => {
    await append('builder-b1', [{ type: 'BuilderRegistered', data: { name: 'b1', arches: ['amd64'], suites: ['bookworm'], formats: ['deb'], slots: 2, registeredAt: at(0), archSupport: [], unavailable: [] } }]);
    const first = createProjection({ log, pool, schema, logger });
    await first.start();
    for (const id of [1, 2, 3]) for (const { stream, events } of builtJob(id)) await append(stream, events);
    await caughtUp();
    await first.close();

    // Appended while no projection runs: picked up from the checkpoint, nothing applied twice.
    await append('job-4', [submittedJob(4)]);
    await append('job-4', [{ type: 'JobCancelled', data: { jobId: 4, cancelledBy: { kind: 'user', name: 'alice' }, reason: { code: 'cancelled_by_user', message: 'no longer needed', jobIds: [] }, cancelledAt: at(9) } }]);
    await append('access', [{ type: 'TokenIssued', data: { tokenId: 'abcdef012345', name: 'ci', role: 'submitter', secretSha256: 'f'.repeat(64), issuedBy: 'admin', issuedAt: at(0) } }]);
    const second = createProjection({ log, pool, schema, logger });
    await second.start();
    await caughtUp();
    await second.close();

    const history = await pool.query(`SELECT job_id, count(*)::int AS n FROM ${schema}.job_history GROUP BY job_id ORDER BY job_id`);
    expect(history.rows).toEqual([
      { job_id: 1, n: 4 },
      { job_id: 2, n: 4 },
      { job_id: 3, n: 4 },
      { job_id: 4, n: 2 },
    ]);

    const rebuilt = await rebuildInto({ log, pool, shadowSchema: shadow });
    expect(rebuilt.position).toBe(await log.headPosition());
    expect(await tableContents(shadow)).toEqual(await tableContents(schema));
  });
});
