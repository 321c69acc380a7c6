import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { jobDecider, jobStreamId, publicationStreamId, type Artifact, type JobCommand } from '@tsbit/domain';
import { handleCommand, PostgresEventLog } from '@tsbit/event-log';
import { startTestFarm } from '@tsbit/farm';
import { option, percentile } from './stats';
import { tinyDeb } from './tiny-deb';

const run = promisify(execFile);
/** Packages per seeding job: a build with a hundred binaries is large but real; one with ten thousand is not. */
const SEED_JOB_SIZE = 100;
const UPLOAD_CONCURRENCY = 8;
const BUILDER = 'bench-builder';
const FIRST_JOB_ID = 1_000_000;
const PUBLISH_TIMEOUT_MS = 600_000;
const POLL_MS = 5;

/**
 * From a build's success to a client's `apt-get update` seeing the new version, with 10, 1,000
 * and 10,000 packages already in the suite's repository. A farm without builders: the benchmark
 * plays the builder (the job decider's commands on the farm's log, uploads through the gateway
 * with the farm's builder token), so what is timed is the farm's own path: BuildSucceeded → relay →
 * RabbitMQ → the artifact service's publisher → signed indices → apt-get update over HTTP.
 */
export async function publishLatency(args: string[]): Promise<void> {
  const samples = option(args, 'samples', 20);
  const sizesIndex = args.indexOf('--sizes');
  const sizes = sizesIndex >= 0 ? String(args[sizesIndex + 1]).split(',').map(Number) : [10, 1000, 10_000];
  const farm = await startTestFarm({ builders: [], heartbeatMs: 3_600_000 });
  const log = await PostgresEventLog.create({ connectionString: farm.databaseUrl, schema: farm.schema });
  const work = mkdtempSync(path.join(tmpdir(), 'tsbit-publish-latency-'));
  const apiUrl = farm.farm.apiUrl;
  let nextJob = FIRST_JOB_ID;

  const command = (jobId: number, value: JobCommand) => handleCommand({ log, stream: jobStreamId(jobId), decider: jobDecider, command: value });
  const upload = async (jobId: number, name: string, body: Buffer): Promise<Artifact> => {
    const sha256 = createHash('sha256').update(body).digest('hex');
    const response = await fetch(`${apiUrl}/artifacts/jobs/${jobId}/attempts/1/${name}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${farm.farm.builderToken}`, 'x-tsbit-builder': BUILDER, 'content-type': 'application/octet-stream', 'x-tsbit-sha256': sha256, 'x-tsbit-kind': 'deb' },
      body,
    });
    if (response.status >= 300) throw new Error(`upload ${name}: ${response.status} ${await response.text()}`);
    return { name, sha256, size: String(body.length), kind: 'deb' };
  };
  /** A job of `debs` built by the benchmark's builder; resolves once its build is running, with the success to record. */
  const build = async (suite: string, debs: { name: string; body: Buffer }[]): Promise<{ jobId: number; succeed(): Promise<void> }> => {
    const jobId = nextJob;
    nextJob += 1;
    const at = () => new Date().toISOString();
    await command(jobId, {
      type: 'SubmitJob',
      at: at(),
      job: {
        jobId, package: `bench${jobId}`, version: '1.0', suite, dist: 'debian', arch: 'amd64', format: 'deb', env: '',
        source: { method: 'git', url: 'file:///bench.git', ref: 'main' }, priority: 0, project: 'bench', dependsOn: [], buildArchIndep: true,
        submittedBy: { kind: 'user', name: 'bench' }, retryOf: 0,
      },
    });
    await command(jobId, { type: 'QueueJob', at: at(), routingKey: `deb.${suite}.amd64` });
    await command(jobId, { type: 'StartBuild', at: at(), attempt: 1, builder: BUILDER });
    const artifacts: Artifact[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: UPLOAD_CONCURRENCY }, async () => {
        while (next < debs.length) {
          const deb = debs[next++]!;
          artifacts.push(await upload(jobId, deb.name, deb.body));
        }
      }),
    );
    return { jobId, succeed: async () => void (await command(jobId, { type: 'SucceedBuild', at: at(), attempt: 1, builder: BUILDER, artifacts })) };
  };
  const published = async (jobId: number): Promise<void> => {
    const deadline = Date.now() + PUBLISH_TIMEOUT_MS;
    while ((await log.readStream(publicationStreamId(jobId))).length === 0) {
      if (Date.now() > deadline) throw new Error(`job ${jobId} was not published within ${PUBLISH_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  const lines: string[] = [];
  try {
    for (const size of sizes) {
      const suite = `latency${size}`;
      const seedStarted = performance.now();
      for (let start = 0; start < size; start += SEED_JOB_SIZE) {
        const debs = Array.from({ length: Math.min(SEED_JOB_SIZE, size - start) }, (_, index) => {
          const name = `seed${start + index}`;
          return { name: `${name}_1.0_amd64.deb`, body: tinyDeb({ package: name, version: '1.0', arch: 'amd64' }) };
        });
        const job = await build(suite, debs);
        await job.succeed();
        await published(job.jobId);
      }
      const seedSeconds = (performance.now() - seedStarted) / 1000;

      const client = new AptClient(path.join(work, suite), await (await fetch(`${apiUrl}/repos/deb/${suite}.sources`)).text());
      await client.update();
      const publish: number[] = [];
      const seen: number[] = [];
      const updates: number[] = [];
      for (let sample = 1; sample <= samples; sample += 1) {
        const version = `2.${sample}`;
        const job = await build(suite, [{ name: `probe_${version}_amd64.deb`, body: tinyDeb({ package: 'probe', version, arch: 'amd64' }) }]);
        const succeededAt = performance.now();
        await job.succeed();
        await published(job.jobId);
        publish.push(performance.now() - succeededAt);
        for (;;) {
          const updateStarted = performance.now();
          await client.update();
          updates.push(performance.now() - updateStarted);
          if ((await client.candidate('probe')) === version) break;
        }
        seen.push(performance.now() - succeededAt);
      }
      const ms = (values: number[]) => `p50 ${percentile(values, 50).toFixed(0)} ms, p99 ${percentile(values, 99).toFixed(0)} ms`;
      lines.push(
        `${size} packages (seeded in ${seedSeconds.toFixed(1)} s): success → PackagePublished ${ms(publish)}; success → apt-get update sees it ${ms(seen)}; one apt-get update ${ms(updates)}; ${samples} samples`,
      );
      process.stdout.write(`${lines[lines.length - 1]}\n`);
    }
  } finally {
    await log.close();
    await farm.close();
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

/** apt-get with a configuration of its own under `dir`, reading the farm's served sources entry (key inline). */
class AptClient {
  private readonly options: string[];

  constructor(dir: string, sourcesEntry: string) {
    for (const sub of ['lists/partial', 'cache/archives/partial', 'sources.list.d', 'empty']) mkdirSync(path.join(dir, sub), { recursive: true });
    writeFileSync(path.join(dir, 'status'), '');
    writeFileSync(path.join(dir, 'sources.list.d', 'farm.sources'), sourcesEntry);
    this.options = [
      `Dir::Etc::sourcelist=${path.join(dir, 'empty', 'sources.list')}`,
      `Dir::Etc::sourceparts=${path.join(dir, 'sources.list.d')}`,
      `Dir::Etc::trustedparts=${path.join(dir, 'empty')}`,
      `Dir::Etc::preferencesparts=${path.join(dir, 'empty')}`,
      `Dir::Etc::parts=${path.join(dir, 'empty')}`,
      `Dir::State=${dir}`,
      `Dir::State::lists=${path.join(dir, 'lists')}`,
      `Dir::State::status=${path.join(dir, 'status')}`,
      `Dir::Cache=${path.join(dir, 'cache')}`,
      'APT::Architecture=amd64',
      'Debug::NoLocking=1',
      'Acquire::Languages=none',
      `APT::Sandbox::User=${process.getuid?.() === 0 ? 'root' : (process.env.USER ?? 'root')}`,
    ].flatMap((value) => ['-o', value]);
  }

  async update(): Promise<void> {
    const { stdout } = await run('apt-get', [...this.options, '-q', 'update']);
    if (/^(E|W):/m.test(stdout)) throw new Error(`apt-get update: ${stdout}`);
  }

  async candidate(name: string): Promise<string | undefined> {
    const { stdout } = await run('apt-cache', [...this.options, 'policy', name]);
    return /Candidate: (\S+)/.exec(stdout)?.[1];
  }
}
