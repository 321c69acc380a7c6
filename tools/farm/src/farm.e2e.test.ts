import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { waitFor } from '@tsbit/service-kit';
import { startFarm, type Farm } from './farm';
import { makeDebianPackageRepository } from './fixtures';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const BUILD_TIMEOUT_MS = 120_000;

interface JobView {
  id: number;
  status: string;
  attempt: number;
  history: { status: string; event: string }[];
  artifacts: { name: string; kind: string; sha256: string; url: string }[];
  reason: { code: string; message: string } | null;
}

describe('the whole farm, from POST /job to a built package', () => {
  const id = randomBytes(4).toString('hex');
  const schema = `e2e_farm_${id}`;
  const stateDir = mkdtempSync(path.join(tmpdir(), 'tsbit-farm-'));
  let farm: Farm;
  const output: string[] = [];

  beforeAll(async () => {
    farm = await startFarm({
      databaseUrl: DATABASE_URL,
      schema,
      amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
      prefix: `e2e-${id}`,
      gatewayPort: 18080 + Math.floor(Math.random() * 1000),
      stateDir,
      builders: ['e2e-builder'],
      // The farm's plumbing is under test here; the sbuild path has packages.e2e.test.ts.
      builderBackend: 'native',
      heartbeatMs: 1000,
      logLevel: 'warn',
      output: (line) => output.push(line),
      persistTokens: false,
    });
  }, 120_000);

  afterAll(async () => {
    await farm?.stop();
    const client = new Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const submit = async (repository: { url: string; package: string; version: string }): Promise<Response> =>
    fetch(`${farm.apiUrl}/job`, {
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

  const finished = (jobId: number): Promise<JobView> =>
    waitFor(
      `job ${jobId} to finish`,
      async () => {
        const job = (await (await fetch(`${farm.apiUrl}/job/${jobId}`)).json()) as JobView;
        return ['Done', 'Failed', 'Cancelled'].includes(job.status) ? job : undefined;
      },
      { timeoutMs: BUILD_TIMEOUT_MS, intervalMs: 200 },
    );

  it('builds a native Debian package from a git repository into a .deb that dpkg-deb reads', async () => {
    const repository = makeDebianPackageRepository({ package: `hello-e2e-${id}` });
    const response = await submit(repository);
    expect(response.status).toBe(201);
    const submitted = (await response.json()) as { id: number; status: string };
    expect(response.headers.get('location')).toBe(`/job/${submitted.id}`);
    expect(submitted.status).toBe('Waiting');

    const job = await finished(submitted.id);
    expect(job.status).toBe('Done');
    expect(job.history.map((step) => step.status)).toEqual(expect.arrayContaining(['Waiting', 'Building', 'Done']));

    const deb = job.artifacts.find((artifact) => artifact.kind === 'deb');
    expect(deb?.name).toBe(`${repository.package}_1.0_all.deb`);
    const download = await fetch(`${farm.apiUrl}${deb?.url}`);
    expect(download.status).toBe(200);
    const file = path.join(stateDir, deb?.name ?? 'missing.deb');
    writeFileSync(file, Buffer.from(await download.arrayBuffer()));
    const info = execFileSync('dpkg-deb', ['-I', file], { encoding: 'utf8' });
    expect(info).toContain(`Package: ${repository.package}`);
    expect(info).toContain('Version: 1.0');
    expect(job.artifacts.some((artifact) => artifact.kind === 'log')).toBe(true);

    const list = (await (await fetch(`${farm.apiUrl}/job`)).json()) as { items: { id: number }[] };
    expect(list.items[0]?.id).toBe(submitted.id);
  });

  it('ends a broken package Failed, as a package failure, with its build log kept', async () => {
    const repository = makeDebianPackageRepository({ package: `broken-e2e-${id}`, broken: true });
    const submitted = (await (await submit(repository)).json()) as { id: number };
    const job = await finished(submitted.id);
    expect(job.status).toBe('Failed');
    expect(job.reason?.code).toBe('package_failure');
    const log = job.artifacts.find((artifact) => artifact.kind === 'log');
    expect(log).toBeDefined();
    const text = await (await fetch(`${farm.apiUrl}${log?.url}`)).text();
    expect(text).toContain('this package is broken on purpose');
  });
});
