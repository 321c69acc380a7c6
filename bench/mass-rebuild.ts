import { Client, Pool } from 'pg';
import { createReadModels } from '@tsbit/read-models';
import { waitFor } from '@tsbit/service-kit';
import { startTestFarm } from '@tsbit/farm';
import { option, summary } from './stats';

const BATCH_SIZE = 5000;
const SUBMITTERS = 4;

/**
 * A mass rebuild: 100,000 jobs submitted in batches of 5,000 by a few concurrent clients. Measures
 * how long until every job is in the log, visible in the read models and published to RabbitMQ,
 * then the latency of GET /job pages with that many jobs.
 */
export async function massRebuild(args: string[]): Promise<void> {
  const total = option(args, 'jobs', 100_000);
  const pageSamples = option(args, 'pages', 200);
  const testFarm = await startTestFarm({ builders: [], heartbeatMs: 5000 });
  const { farm, schema } = testFarm;
  const db = new Client({ connectionString: testFarm.databaseUrl });
  await db.connect();
  const count = async (sql: string): Promise<number> => Number((await db.query<{ n: string }>(sql)).rows[0]?.n ?? 0);

  try {
    // Distinct packages, as in an archive-wide rebuild: no job supersedes another.
    const jobs = Array.from({ length: total }, (_, index) => ({
      package: `pkg-${index}`,
      version: '1.0-1',
      suite: 'bookworm',
      arch: 'amd64',
      format: 'deb',
      project: 'mass-rebuild',
      source: { method: 'apt', url: 'http://deb.debian.org/debian', ref: '1.0-1' },
    }));
    const batches: (typeof jobs)[] = [];
    for (let start = 0; start < total; start += BATCH_SIZE) batches.push(jobs.slice(start, start + BATCH_SIZE));

    const started = performance.now();
    let nextBatch = 0;
    await Promise.all(
      Array.from({ length: SUBMITTERS }, async () => {
        while (nextBatch < batches.length) {
          const batch = batches[nextBatch];
          nextBatch += 1;
          const response = await fetch(`${farm.apiUrl}/job/batch`, {
            method: 'POST',
            headers: { authorization: `Bearer ${farm.adminToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ jobs: batch }),
          });
          if (response.status !== 201) throw new Error(`POST /job/batch: ${response.status} ${await response.text()}`);
        }
      }),
    );
    const acceptedSeconds = (performance.now() - started) / 1000;
    await waitFor('every job visible', async () => (await count(`SELECT count(*) AS n FROM ${schema}.jobs`)) >= total, {
      timeoutMs: 600_000,
      intervalMs: 100,
    });
    const visibleSeconds = (performance.now() - started) / 1000;
    await waitFor(
      'the relay to publish every event',
      async () =>
        (await count(`SELECT coalesce(max(position), 0) AS n FROM ${schema}.relay_checkpoint`)) >=
        (await count(`SELECT coalesce(max(position), 0) AS n FROM ${schema}.events`)),
      { timeoutMs: 600_000, intervalMs: 100 },
    );
    const publishedSeconds = (performance.now() - started) / 1000;

    const time = async (url: string): Promise<number> => {
      const before = performance.now();
      const response = await fetch(`${farm.apiUrl}${url}`);
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
      return performance.now() - before;
    };
    const firstPage: number[] = [];
    const filtered: number[] = [];
    const deep: number[] = [];
    const oneJob: number[] = [];
    const packages: number[] = [];
    const instances: number[] = [];
    let cursor: string | null = null;
    for (let sample = 0; sample < pageSamples; sample += 1) {
      firstPage.push(await time('/job?limit=50'));
      filtered.push(await time(`/job?package=pkg-${sample}&limit=50`));
      const before = performance.now();
      const page = (await (await fetch(`${farm.apiUrl}/job?limit=50${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { nextCursor: string | null };
      deep.push(performance.now() - before);
      cursor = page.nextCursor;
      oneJob.push(await time(`/job/${1 + Math.floor((sample / pageSamples) * total)}`));
      packages.push(await time('/package?limit=50'));
      instances.push(await time('/packageinstance?limit=50'));
    }

    // The farm has no builder, so GET /job/:id says "no builder online" without counting the
    // queue; with one online it also counts the job's place, timed here on the same read models.
    const pool = new Pool({ connectionString: testFarm.databaseUrl, max: 2 });
    const readModels = createReadModels(pool, schema);
    const places: number[] = [];
    for (let sample = 0; sample < pageSamples; sample += 1) {
      const before = performance.now();
      await readModels.jobs.placeInQueue(1 + Math.floor((sample / pageSamples) * total));
      places.push(performance.now() - before);
    }
    await pool.end();

    process.stdout.write(
      [
        `jobs: ${total} in batches of ${BATCH_SIZE}, ${SUBMITTERS} clients`,
        `all accepted (appended to the log): ${acceptedSeconds.toFixed(2)} s`,
        `all visible in the read models:      ${visibleSeconds.toFixed(2)} s`,
        `all published to RabbitMQ:           ${publishedSeconds.toFixed(2)} s`,
        `GET /job?limit=50 (ms):              ${summary(firstPage)}`,
        `GET /job?package=...&limit=50 (ms):  ${summary(filtered)}`,
        `GET /job following cursors (ms):     ${summary(deep)}`,
        `GET /job/:id, no builder (ms):       ${summary(oneJob)}`,
        `place in a queue of all (ms):        ${summary(places)}`,
        `GET /package?limit=50 (ms):          ${summary(packages)}`,
        `GET /packageinstance?limit=50 (ms):  ${summary(instances)}`,
        '',
      ].join('\n'),
    );
  } finally {
    await db.end();
    await testFarm.close();
  }
}
