import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { waitFor } from '@tsbit/service-kit';
import { makeDebianPackageRepository, startFarm } from '@tsbit/farm';
import { option, summary } from './stats';

const run = promisify(execFile);
const DATABASE_URL = process.env.TSBIT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CONCURRENCY = 2;

/**
 * The farm's overhead over building by hand: the same N clone-and-build steps, two at a time,
 * first directly, then through the farm with two builders. Also the dispatch time of each job:
 * from the client's POST /job to the build starting on a builder.
 */
export async function farmOverhead(args: string[]): Promise<void> {
  const builds = option(args, 'builds', 20);
  const dispatchSamples = option(args, 'dispatch', 100);
  const repository = makeDebianPackageRepository({ package: 'hello-bench' });

  const directStarted = performance.now();
  await inParallel(builds, CONCURRENCY, async (index) => {
    const dir = mkdtempSync(path.join(tmpdir(), `direct-${index}-`));
    const tree = path.join(dir, 'src');
    await run('git', ['clone', '--quiet', '--no-checkout', '--', repository.url, tree]);
    await run('git', ['-C', tree, 'checkout', '--quiet', '--detach', 'main']);
    await run('dpkg-buildpackage', ['-b', '-uc', '-us'], { cwd: tree });
    rmSync(dir, { recursive: true, force: true });
  });
  const directSeconds = (performance.now() - directStarted) / 1000;

  const id = randomBytes(4).toString('hex');
  const schema = `bench_${id}`;
  const stateDir = mkdtempSync(path.join(tmpdir(), 'tsbit-bench-'));
  const farm = await startFarm({
    databaseUrl: DATABASE_URL,
    schema,
    amqpUrl: process.env.TSBIT_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    prefix: `bench-${id}`,
    gatewayPort: 19080,
    stateDir,
    builders: ['bench-1', 'bench-2'],
    heartbeatMs: 5000,
    logLevel: 'warn',
    output: () => undefined,
    persistTokens: false,
  });
  const submit = async (): Promise<{ id: number; postedAt: number }> => {
    const postedAt = Date.now();
    const response = await fetch(`${farm.apiUrl}/job`, {
      method: 'POST',
      headers: { authorization: `Bearer ${farm.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        package: repository.package,
        version: repository.version,
        suite: 'bookworm',
        arch: 'amd64',
        format: 'deb',
        source: { method: 'git', url: repository.url, ref: 'main' },
      }),
    });
    if (response.status !== 201) throw new Error(`POST /job: ${response.status} ${await response.text()}`);
    return { id: ((await response.json()) as { id: number }).id, postedAt };
  };
  const job = async (jobId: number) =>
    (await (await fetch(`${farm.apiUrl}/job/${jobId}`)).json()) as { status: string; history: { status: string; at: string }[] };

  try {
    const farmStarted = performance.now();
    const submitted = [];
    for (let index = 0; index < builds; index += 1) submitted.push(await submit());
    for (const { id: jobId } of submitted) {
      await waitFor(`job ${jobId}`, async () => ['Done', 'Failed'].includes((await job(jobId)).status), { timeoutMs: 600_000, intervalMs: 100 });
    }
    const farmSeconds = (performance.now() - farmStarted) / 1000;

    // Dispatch: one job at a time on an idle farm, so that each measures dispatch, not queueing.
    const dispatch: number[] = [];
    for (let index = 0; index < dispatchSamples; index += 1) {
      const { id: jobId, postedAt } = await submit();
      const started = await waitFor(
        `job ${jobId} to start`,
        async () => (await job(jobId)).history.find((step) => step.status === 'Building'),
        { timeoutMs: 60_000, intervalMs: 5 },
      );
      dispatch.push(Date.parse(started.at) - postedAt);
      await waitFor(`job ${jobId}`, async () => ['Done', 'Failed'].includes((await job(jobId)).status), { timeoutMs: 600_000, intervalMs: 50 });
    }

    const overhead = ((farmSeconds - directSeconds) / directSeconds) * 100;
    process.stdout.write(
      [
        `builds: ${builds}, two at a time`,
        `direct clone + dpkg-buildpackage: ${directSeconds.toFixed(2)} s`,
        `through the farm:                 ${farmSeconds.toFixed(2)} s`,
        `overhead:                         ${overhead.toFixed(1)} %`,
        `dispatch POST /job -> Building (ms): ${summary(dispatch)}`,
        '',
      ].join('\n'),
    );
  } finally {
    await farm.stop();
    const client = new Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(repository.dir, { recursive: true, force: true });
  }
}

async function inParallel(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next;
        next += 1;
        await work(index);
      }
    }),
  );
}
