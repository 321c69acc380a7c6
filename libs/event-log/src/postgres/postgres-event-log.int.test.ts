import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { eventLogContract } from '../contract/event-log.contract';
import { PostgresEventLog } from './postgres-event-log';

const DATABASE_URL = process.env.TSBIT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

eventLogContract('PostgreSQL', async () => {
  const schema = `log_${randomBytes(4).toString('hex')}`;
  const log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema });
  return {
    log,
    cleanup: async () => {
      await log.close();
      const client = new Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.end();
    },
  };
});

describe('PostgreSQL event log', () => {
  it('appends a thousand events to a thousand streams in one statement, all or nothing', async () => {
    const schema = `log_${randomBytes(4).toString('hex')}`;
    const log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema });
    const client = new Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const appends = Array.from({ length: 1000 }, (_, n) => ({ stream: `s-${n}`, events: [{ type: 'T', data: { n } }], expectedVersion: 'no_stream' as const }));
      const results = await log.appendMany(appends);
      expect(results.map((result) => result.lastPosition)).toEqual(appends.map((_, n) => BigInt(n + 1)));
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${schema}.events`);
      expect(rows[0].n).toBe(1000);
      // The table is append-only by construction: a second start changes nothing that is there.
      const again = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema });
      expect(await again.headPosition()).toBe(1000n);
      await again.close();
    } finally {
      await log.close();
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.end();
    }
  });
});
