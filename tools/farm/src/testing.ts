import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { waitFor } from '@tsbit/service-kit';
import { startFarm, type Farm } from './farm';

const DATABASE_URL = process.env.TSBIT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface JobView {
  id: number;
  arch: string;
  status: string;
  attempt: number;
  builder: string | null;
  project: string;
  reason: { code: string; message: string; jobIds: number[] } | null;
  history: { status: string; event: string; at: string; attempt: number }[];
  artifacts: { name: string; kind: string; sha256: string; url: string; attempt: number }[];
  /** What the build was made from (sbuild and rpm builds). */
  inputs?: { backend: string; backendVersion: string; mode: string; chrootSha256: string; sourceFiles: { name: string; sha256: string; size: string }[] };
  /** Where the packages were published. */
  published?: { repository: string; setup: string; install: string } | null;
}

export interface JobRequest {
  package: string;
  version: string;
  url: string;
  dependsOn?: number[];
  project?: string;
  priority?: number;
}

export interface TestFarm {
  farm: Farm;
  schema: string;
  databaseUrl: string;
  submit(job: JobRequest): Promise<JobView>;
  /** POST /job with any body; the jobs it made, one per architecture. */
  submitJobs(body: object): Promise<JobView[]>;
  job(id: number): Promise<JobView>;
  waitForJob(id: number, what: string, until: (job: JobView) => boolean, timeoutMs?: number): Promise<JobView>;
  post(url: string): Promise<Response>;
  close(): Promise<void>;
}

/** A whole farm of its own for an end-to-end test file or a benchmark: its own schema, AMQP prefix, ports and state. */
export async function startTestFarm(options: {
  builders: string[];
  heartbeatMs: number;
  dependencyWaitBackoffMs?: number;
  builderBackend?: 'sbuild' | 'native';
  builderArches?: string[];
}): Promise<TestFarm> {
  const id = randomBytes(4).toString('hex');
  const schema = `e2e_${id}`;
  const stateDir = mkdtempSync(path.join(tmpdir(), 'tsbit-farm-'));
  const output: string[] = [];
  const farm = await startFarm({
    databaseUrl: DATABASE_URL,
    schema,
    amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
    prefix: `e2e-${id}`,
    gatewayPort: 20000 + Math.floor(Math.random() * 20000),
    stateDir,
    builders: options.builders,
    heartbeatMs: options.heartbeatMs,
    ...(options.dependencyWaitBackoffMs === undefined ? {} : { dependencyWaitBackoffMs: options.dependencyWaitBackoffMs }),
    ...(options.builderBackend ? { builderBackend: options.builderBackend } : {}),
    ...(options.builderArches ? { builderArches: options.builderArches } : {}),
    logLevel: process.env.TSBIT_E2E_LOG ? 'info' : 'warn',
    output: (line) => {
      output.push(line);
      if (process.env.TSBIT_E2E_LOG) appendFileSync(process.env.TSBIT_E2E_LOG, `${line}\n`);
    },
    persistTokens: false,
  }).catch((error: unknown) => {
    process.stderr.write(output.slice(-50).join('\n'));
    throw error;
  });

  const authorized = { authorization: `Bearer ${farm.adminToken}` };
  const job = async (jobId: number): Promise<JobView> => (await (await fetch(`${farm.apiUrl}/job/${jobId}`)).json()) as JobView;
  return {
    farm,
    schema,
    databaseUrl: DATABASE_URL,
    job,
    async submit(request) {
      const response = await fetch(`${farm.apiUrl}/job`, {
        method: 'POST',
        headers: { ...authorized, 'content-type': 'application/json' },
        body: JSON.stringify({
          package: request.package,
          version: request.version,
          suite: 'bookworm',
          arch: 'amd64',
          format: 'deb',
          source: { method: 'git', url: request.url, ref: 'main' },
          ...(request.dependsOn ? { dependsOn: request.dependsOn } : {}),
          ...(request.project ? { project: request.project } : {}),
          ...(request.priority !== undefined ? { priority: request.priority } : {}),
        }),
      });
      if (response.status !== 201) throw new Error(`POST /job: ${response.status} ${await response.text()}`);
      return (await response.json()) as JobView;
    },
    async submitJobs(body) {
      const response = await fetch(`${farm.apiUrl}/job`, {
        method: 'POST',
        headers: { ...authorized, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status !== 201) throw new Error(`POST /job: ${response.status} ${await response.text()}`);
      const submitted = (await response.json()) as JobView | { jobs: JobView[] };
      return 'jobs' in submitted ? submitted.jobs : [submitted];
    },
    waitForJob: (jobId, what, until, timeoutMs = 120_000) =>
      waitFor(
        `job ${jobId} ${what}`,
        async () => {
          const current = await job(jobId);
          return until(current) ? current : undefined;
        },
        { timeoutMs, intervalMs: 100 },
      ),
    post: (url) => fetch(`${farm.apiUrl}${url}`, { method: 'POST', headers: authorized }),
    async close() {
      await farm.stop();
      const client = new Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export const isFinished = (job: JobView): boolean => ['Done', 'Failed', 'Cancelled'].includes(job.status);
