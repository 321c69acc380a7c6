import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { accessDecider, accessStreamId, jobStreamId } from '@tsbit/domain';
import { handleCommand, PostgresEventLog } from '@tsbit/event-log';
import { applyEvents, migrateReadModels } from '@tsbit/read-models';
import { mintToken, waitFor } from '@tsbit/service-kit';
import { option, summary } from './stats';

const DATABASE_URL = process.env.TSBIT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REPOSITORY_ROOT = path.resolve(__dirname, '..');
const MiB = 1024 * 1024;
/** What the builder sends at once when it catches up; while it keeps up it sends less, more often. */
const APPEND_BYTES = 256 * 1024;
const RSS_SAMPLE_MS = 50;
const RANGE_BYTES = MiB;

/**
 * A 100 MiB live build log on the artifact service, run as a child process as in the farm:
 * - written the way a builder writes it (appends with their offsets, one after the other) while
 *   followers follow it as server-sent events, some reading as fast as they can and one that reads
 *   nothing until the log is complete; the service's RSS (VmRSS of /proc/<pid>/status) is sampled
 *   throughout, against its RSS just before;
 * - then the time to the first byte of its last 1 MiB by `Range: bytes=-1048576`, complete, and
 *   while it was being written.
 */
export async function logFollow(args: string[]): Promise<void> {
  const totalBytes = option(args, 'mib', 100) * MiB;
  const fastFollowers = option(args, 'followers', 4);
  const rangeSamples = option(args, 'ranges', 100);
  const schema = `bench_logs_${randomBytes(4).toString('hex')}`;
  const storeDir = mkdtempSync(path.join(tmpdir(), 'tsbit-bench-logs-'));
  const pool = new Pool({ connectionString: DATABASE_URL, max: 2 });
  const log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema, pool });
  let service: ChildProcess | undefined;
  try {
    const { token, builder } = await prepare(pool, log, schema);
    const jobId = 1;
    await startBuilding(log, jobId, builder);
    const port = await freePort();
    service = spawn(process.execPath, ['--import', 'tsx', 'services/artifact/src/main.ts'], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, TSBIT_PORT: String(port), TSBIT_ARTIFACT_DIR: storeDir, TSBIT_PG_SCHEMA: schema, TSBIT_DATABASE_URL: DATABASE_URL, TSBIT_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const pid = service.pid as number;
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the artifact service', async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.ok, { timeoutMs: 60_000 });
    const logUrl = `${base}/logs/jobs/${jobId}/attempts/1`;
    const append = async (offset: number, body: Buffer): Promise<number> => {
      const response = await fetch(`${logUrl}?offset=${offset}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body });
      if (!response.ok) throw new Error(`append at ${offset}: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { size: number }).size;
    };

    // Warm the service up (code paths, JIT) so that the baseline is the running service's.
    await append(0, Buffer.from('warming up\n'));
    await fetch(logUrl, { headers: { range: 'bytes=-5' } }).then((response) => response.arrayBuffer());
    const warm = await openFollower(logUrl);
    await warm.untilBytes(1);
    warm.cancel();
    // The baseline is taken once the service has let the warm-up follower go.
    await waitFor(
      'the warm-up follower to be gone',
      async () => /^tsbit_log_followers 0$/m.test(await (await fetch(`${base}/metrics`)).text()),
      { timeoutMs: 10_000 },
    );
    const rssBefore = rssOf(pid);

    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssOf(pid)), RSS_SAMPLE_MS);
    const followers = Array.from({ length: fastFollowers }, () => openFollower(logUrl));
    const stalled = openFollower(logUrl, { stalled: true });
    const rangesWhileWritten: number[] = [];
    const hash = createHash('sha256').update('warming up\n');
    let size = 11;
    let appends = 0;
    const writeStarted = performance.now();
    const lines = logLines();
    let nextRangeAt = performance.now();
    while (size < totalBytes) {
      const chunk = lines.next(Math.min(APPEND_BYTES, totalBytes - size));
      hash.update(chunk);
      size = await append(size, chunk);
      appends += 1;
      if (performance.now() >= nextRangeAt) {
        rangesWhileWritten.push(await firstByteOfTail(logUrl));
        nextRangeAt = performance.now() + 200;
      }
    }
    const writeSeconds = (performance.now() - writeStarted) / 1000;
    const sha256 = hash.digest('hex');
    const completeSentAt = performance.now();
    const completeResponse = await fetch(`${logUrl}/complete`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ size, sha256 }) });
    if (!completeResponse.ok) throw new Error(`complete: ${completeResponse.status} ${await completeResponse.text()}`);
    const fastResults = await Promise.all(followers.map((follower) => follower.done));
    const fastEndMs = performance.now() - completeSentAt;
    const rssAfterFast = rssOf(pid);
    stalled.resume();
    const stalledResult = await stalled.done;
    clearInterval(sampler);
    const rssPeak = Math.max(rssBefore, ...samples);
    const rssAfter = rssOf(pid);

    const rangesComplete: number[] = [];
    for (let index = 0; index < rangeSamples; index += 1) rangesComplete.push(await firstByteOfTail(logUrl));

    const every = [...fastResults, stalledResult];
    const intact = every.every((result) => result.lastId === size && result.ended && result.bytesOfLines === size);
    process.stdout.write(
      [
        `log: ${(size / MiB).toFixed(1)} MiB written in ${appends} appends of up to ${APPEND_BYTES / 1024} KiB in ${writeSeconds.toFixed(2)} s (${(size / MiB / writeSeconds).toFixed(1)} MiB/s), sha256 ${sha256.slice(0, 12)}...`,
        `followers: ${fastFollowers} reading as it came (each had the end ${fastEndMs.toFixed(0)} ms after the completion was sent), 1 reading nothing until the end; every one got every byte once, in order: ${intact}`,
        `artifact service RSS: before ${mib(rssBefore)}, peak while written and followed ${mib(rssPeak)} (+${mib(rssPeak - rssBefore)}), after the fast followers ${mib(rssAfterFast)}, at the end ${mib(rssAfter)}`,
        `Range bytes=-${RANGE_BYTES} time to first byte, complete log (ms): ${summary(rangesComplete)}`,
        `Range bytes=-${RANGE_BYTES} time to first byte, while written   (ms): ${summary(rangesWhileWritten)}`,
        '',
      ].join('\n'),
    );
  } finally {
    if (service && service.exitCode === null) {
      const exited = new Promise((resolve) => service?.once('exit', resolve));
      service.kill('SIGTERM');
      await exited;
    }
    await log.close();
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
    rmSync(storeDir, { recursive: true, force: true });
  }
}

/** The schema, a builder token (issued and projected as the farm would) and its name. */
async function prepare(pool: Pool, log: PostgresEventLog, schema: string): Promise<{ token: string; builder: string }> {
  await migrateReadModels(pool, schema);
  const minted = mintToken();
  const builder = `bench-builder-${minted.tokenId}`;
  await handleCommand({
    log,
    stream: accessStreamId,
    decider: accessDecider,
    command: { type: 'IssueToken', tokenId: minted.tokenId, name: builder, role: 'builder', secretSha256: minted.secretSha256, by: 'bench', at: new Date().toISOString() },
  });
  const client = await pool.connect();
  try {
    await applyEvents(client, schema, 'bench', await log.readAll(0n, 1000));
  } finally {
    client.release();
  }
  return { token: minted.token, builder };
}

/** The job's attempt 1 building on `builder`, as the scheduler records it: appends are scoped to it. */
async function startBuilding(log: PostgresEventLog, jobId: number, builder: string): Promise<void> {
  const at = new Date().toISOString();
  await log.append(
    jobStreamId(jobId),
    [
      {
        type: 'JobSubmitted',
        data: {
          jobId,
          package: 'chatty',
          version: '1.0-1',
          suite: 'bookworm',
          dist: 'debian',
          arch: 'amd64',
          format: 'deb',
          source: { method: 'git', url: 'https://example.org/chatty.git', ref: 'main' },
          project: 'bench',
          submittedBy: { kind: 'user', name: 'bench' },
          submittedAt: at,
        },
      },
      { type: 'JobQueued', data: { jobId, attempt: 1, routingKey: 'deb.bookworm.amd64', queuedAt: at } },
      { type: 'BuildStarted', data: { jobId, attempt: 1, builder, startedAt: at } },
    ],
    'no_stream',
  );
}

interface FollowResult {
  lastId: number;
  ended: boolean;
  /** Bytes of the log the events carried (each line plus its newline). */
  bytesOfLines: number;
}

/** A follower reading the log's events; a stalled one reads nothing until `resume`. */
function openFollower(url: string, options: { stalled?: boolean } = {}): { done: Promise<FollowResult>; untilBytes(count: number): Promise<void>; cancel(): void; resume(): void } {
  let resume: () => void = () => undefined;
  const resumed = options.stalled ? new Promise<void>((resolve) => (resume = resolve)) : Promise.resolve();
  let received = 0;
  let wanted: { count: number; resolve: () => void } | undefined;
  const controller = new AbortController();
  const done = (async (): Promise<FollowResult> => {
    const response = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
    await resumed;
    const result: FollowResult = { lastId: 0, ended: false, bytesOfLines: 0 };
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (block.startsWith('event: end')) result.ended = true;
          const id = /^id: (\d+)$/m.exec(block);
          if (!id) continue;
          if (!result.ended) {
            const lines = block.split('\n').filter((line) => line.startsWith('data: '));
            result.bytesOfLines += lines.reduce((sum, line) => sum + Buffer.byteLength(line) - 'data: '.length + 1, 0);
          }
          result.lastId = Number(id[1]);
        }
        received += chunk.length;
        if (wanted && received >= wanted.count) wanted.resolve();
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
    return result;
  })();
  return {
    done,
    untilBytes: (count) => new Promise<void>((resolve) => (wanted = { count, resolve })),
    cancel: () => controller.abort(),
    resume: () => resume(),
  };
}

/** Milliseconds from sending `Range: bytes=-1 MiB` to holding the first byte of the answer. */
async function firstByteOfTail(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { headers: { range: `bytes=-${RANGE_BYTES}` } });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const first = await reader.read();
  const elapsed = performance.now() - started;
  if (response.status !== 206 || !first.value) throw new Error(`Range: ${response.status}`);
  while (!(await reader.read()).done);
  return elapsed;
}

/** Compiler-like lines of about 90 bytes, in pieces that end at a line's end. */
function logLines(): { next(bytes: number): Buffer } {
  let line = 0;
  return {
    next(bytes) {
      const parts: string[] = [];
      let length = 0;
      for (;;) {
        line += 1;
        const text = `[${(line / 1000).toFixed(3).padStart(10)}] cc -O2 -c src/module-${String(line % 5000).padStart(4, '0')}.c -o obj/module-${line}.o\n`;
        if (length + text.length > bytes) break;
        parts.push(text);
        length += text.length;
      }
      // The last few bytes before the size asked for: one short line that fills them.
      if (parts.length === 0) return Buffer.from(`${'.'.repeat(Math.max(0, bytes - 1))}\n`);
      return Buffer.from(parts.join(''));
    },
  };
}

function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

