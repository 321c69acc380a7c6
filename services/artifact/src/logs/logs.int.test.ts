import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Pool } from 'pg';
import { artifactStreamId, jobStreamId, serializeEvent } from '@tsbit/domain';
import { PostgresEventLog } from '@tsbit/event-log';
import { submittedJob } from '@tsbit/read-models/testing';
import { createLogger, metricsRegistry, mintToken, type StoredToken } from '@tsbit/service-kit';
import { createArtifactService } from '../app';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const LOG_LIMIT_BYTES = 64 * 1024;
/** A follower whose attempt ended unnoticed finds out at its fallback look, five seconds on. */
jest.setTimeout(30_000);
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

interface ServerSentEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads server-sent events off a response as they come, the way EventSource parses them. */
function eventsOf(response: Response): { next(): Promise<ServerSentEvent | undefined>; close(): Promise<void> } {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return {
    async next() {
      for (;;) {
        const end = buffered.indexOf('\n\n');
        if (end >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const event: ServerSentEvent = { event: 'message', data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') data.push(value);
            else if (field === 'id') event.id = value;
            else if (field === 'event') event.event = value;
          }
          if (data.length === 0 && event.id === undefined) continue;
          event.data = data.join('\n');
          return event;
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffered += decoder.decode(value, { stream: true });
      }
    },
    close: () => reader.cancel(),
  };
}

describe('live build logs', () => {
  const schema = `logs_${randomBytes(4).toString('hex')}`;
  const storeDir = mkdtempSync(path.join(tmpdir(), 'tsbit-logs-'));
  let pool: Pool;
  let log: PostgresEventLog;
  let app: FastifyInstance;
  let baseUrl: string;
  let nextJobId = 100;
  const tokens = new Map<string, StoredToken>();
  const issue = (name: string, role: StoredToken['role']): string => {
    const minted = mintToken();
    tokens.set(minted.tokenId, { tokenId: minted.tokenId, name, role, secretSha256: minted.secretSha256, revoked: false });
    return minted.token;
  };
  const builder = issue('builder-1', 'builder');
  const submitter = issue('alice', 'submitter');

  /** A job whose attempt 1 is building on builder-1, as the scheduler would have written it. */
  const buildingJob = async (): Promise<number> => {
    const jobId = (nextJobId += 1);
    const at = new Date().toISOString();
    await log.append(
      jobStreamId(jobId),
      [
        serializeEvent(submittedJob(jobId)),
        { type: 'JobQueued', data: { jobId, attempt: 1, routingKey: 'deb.bookworm.amd64', queuedAt: at } },
        { type: 'BuildStarted', data: { jobId, attempt: 1, builder: 'builder-1', startedAt: at } },
      ],
      'no_stream',
    );
    return jobId;
  };
  const logUrl = (jobId: number, attempt = 1): string => `${baseUrl}/logs/jobs/${jobId}/attempts/${attempt}`;
  const append = (jobId: number, offset: number, body: string | Buffer, token = builder, attempt = 1) =>
    fetch(`${logUrl(jobId, attempt)}?offset=${offset}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body,
    });
  const complete = (jobId: number, content: string | Buffer, attempt = 1) =>
    fetch(`${logUrl(jobId, attempt)}/complete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${builder}`, 'content-type': 'application/json' },
      body: JSON.stringify({ size: Buffer.byteLength(content), sha256: sha256(content) }),
    });
  const follow = async (jobId: number, headers: Record<string, string> = {}) => {
    const response = await fetch(logUrl(jobId), { headers: { accept: 'text/event-stream', ...headers } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    return eventsOf(response);
  };

  beforeAll(async () => {
    pool = new Pool({ connectionString: DATABASE_URL });
    log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema, pool });
    app = createArtifactService({
      log,
      storeDir,
      tokens: async (id) => tokens.get(id),
      logger: createLogger('logs-test', 'silent'),
      maxUploadBytes: 1024 * 1024,
      logLimitBytes: LOG_LIMIT_BYTES,
    });
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('streams lines to a follower while the build runs, ends with the size and sha256, and records the log as an artifact', async () => {
    const jobId = await buildingJob();
    expect((await append(jobId, 0, 'configure\n')).status).toBe(200);
    const events = await follow(jobId);
    expect(await events.next()).toEqual({ id: '10', event: 'message', data: 'configure' });

    // The follower was woken by the append: it sees each line before the log is complete.
    expect(await (await append(jobId, 10, 'make\ncc -o x')).json()).toEqual({ jobId, attempt: 1, size: 22 });
    expect(await events.next()).toEqual({ id: '15', event: 'message', data: 'make' });
    await append(jobId, 22, ' x.c\n');
    expect(await events.next()).toEqual({ id: '27', event: 'message', data: 'cc -o x x.c' });
    const whole = 'configure\nmake\ncc -o x x.c\ndone';
    await append(jobId, 27, 'done');

    const completed = await complete(jobId, whole);
    expect(completed.status).toBe(201);
    expect(await completed.json()).toMatchObject({ jobId, attempt: 1, name: 'build.log', kind: 'log', sha256: sha256(whole), size: String(whole.length), builder: 'builder-1' });
    expect(await events.next()).toEqual({ id: '31', event: 'message', data: 'done' });
    expect(await events.next()).toEqual({ id: '31', event: 'end', data: JSON.stringify({ size: 31, sha256: sha256(whole), complete: true }) });
    expect(await events.next()).toBeUndefined();

    // Completing again changes nothing; the log is an artifact like the others, and stays readable here.
    expect((await complete(jobId, whole)).status).toBe(200);
    const stored = await log.readStream(artifactStreamId(jobId));
    expect(stored.map((event) => event.type)).toEqual(['ArtifactStored']);
    expect(await (await fetch(`${baseUrl}/artifacts/${sha256(whole)}/build.log`)).text()).toBe(whole);
    const read = await fetch(logUrl(jobId));
    expect(read.headers.get('x-tsbit-log-complete')).toBe('true');
    expect(read.headers.get('etag')).toBe(`"${sha256(whole)}"`);
    expect(await read.text()).toBe(whole);
    expect((await fetch(logUrl(jobId), { headers: { 'if-none-match': `"${sha256(whole)}"` } })).status).toBe(304);
  });

  it('lets a follower wait for a log its builder has not opened yet; 404 for a plain read, or for an attempt that does not exist', async () => {
    const jobId = await buildingJob();
    expect((await fetch(logUrl(jobId))).status).toBe(404);
    expect((await fetch(logUrl(jobId, 2), { headers: { accept: 'text/event-stream' } })).status).toBe(404);
    const events = await follow(jobId);
    await append(jobId, 0, 'early\n');
    expect(await events.next()).toMatchObject({ id: '6', data: 'early' });
    await events.close();
  });

  it('opens a log with an empty append, so that it can be followed before its first line', async () => {
    const jobId = await buildingJob();
    expect(await (await append(jobId, 0, Buffer.alloc(0))).json()).toMatchObject({ size: 0 });
    const empty = await fetch(logUrl(jobId));
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('');
    const events = await follow(jobId);
    await append(jobId, 0, 'first\n');
    expect(await events.next()).toMatchObject({ id: '6', data: 'first' });
    await events.close();
  });

  it('serves what exists so far while the log grows, and a Range of it with 206; 416 when nothing of the range exists', async () => {
    const jobId = await buildingJob();
    const content = Array.from({ length: 200 }, (_, index) => `line ${index}\n`).join('');
    await append(jobId, 0, content);

    const sofar = await fetch(logUrl(jobId));
    expect(sofar.status).toBe(200);
    expect(sofar.headers.get('x-tsbit-log-complete')).toBe('false');
    expect(sofar.headers.get('accept-ranges')).toBe('bytes');
    expect(await sofar.text()).toBe(content);

    const middle = await fetch(logUrl(jobId), { headers: { range: 'bytes=100-149' } });
    expect(middle.status).toBe(206);
    expect(middle.headers.get('content-range')).toBe(`bytes 100-149/${content.length}`);
    expect(await middle.text()).toBe(content.slice(100, 150));
    const tail = await fetch(logUrl(jobId), { headers: { range: 'bytes=-30' } });
    expect(tail.status).toBe(206);
    expect(await tail.text()).toBe(content.slice(-30));

    const beyond = await fetch(logUrl(jobId), { headers: { range: `bytes=${content.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${content.length}`);
    expect(await beyond.json()).toMatchObject({ status: 416, field: 'range' });
    expect((await fetch(logUrl(jobId + 1000))).status).toBe(404);
  });

  it('resumes a follow from Last-Event-ID without repeating or losing a line', async () => {
    const jobId = await buildingJob();
    const lines = Array.from({ length: 50 }, (_, index) => `step ${index}`);
    const content = `${lines.join('\n')}\n`;
    await append(jobId, 0, content.slice(0, 100));

    const first = await follow(jobId);
    const seen: string[] = [];
    const event = await first.next();
    seen.push(...(event?.data.split('\n') ?? []));
    await first.close();

    await append(jobId, 100, content.slice(100));
    await complete(jobId, content);
    const second = await follow(jobId, { 'last-event-id': event?.id ?? '' });
    for (let next = await second.next(); next && next.event !== 'end'; next = await second.next()) seen.push(...next.data.split('\n'));
    expect(seen).toEqual(lines);

    expect((await fetch(logUrl(jobId), { headers: { accept: 'text/event-stream', 'last-event-id': 'x' } })).status).toBe(400);
    const fromTheEnd = await follow(jobId, { 'last-event-id': String(content.length) });
    expect(await fromTheEnd.next()).toMatchObject({ event: 'end', id: String(content.length) });
  });

  it('takes a repeated append once, and tells an append at the wrong offset where the log ends', async () => {
    const jobId = await buildingJob();
    expect(await (await append(jobId, 0, 'abc\n')).json()).toMatchObject({ size: 4 });
    // The same append again (its answer was lost): nothing is stored twice.
    expect(await (await append(jobId, 0, 'abc\n')).json()).toMatchObject({ size: 4 });
    // Overlapping the end: only the new part is stored.
    expect(await (await append(jobId, 2, 'c\ndef\n')).json()).toMatchObject({ size: 8 });

    const gap = await append(jobId, 20, 'lost?\n');
    expect(gap.status).toBe(409);
    expect(await gap.json()).toMatchObject({ field: 'offset', code: 'offset_mismatch', size: 8 });
    const different = await append(jobId, 0, 'xyz\n');
    expect(different.status).toBe(409);
    expect(await different.json()).toMatchObject({ code: 'content_mismatch', size: 8 });
    expect((await append(jobId, -1, 'x')).status).toBe(400);
    expect(await (await fetch(logUrl(jobId))).text()).toBe('abc\ndef\n');

    const wrongHash = await fetch(`${logUrl(jobId)}/complete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${builder}`, 'content-type': 'application/json' },
      body: JSON.stringify({ size: 8, sha256: sha256('something else') }),
    });
    expect(wrongHash.status).toBe(422);
    expect(await wrongHash.json()).toMatchObject({ field: 'sha256', code: 'checksum_mismatch' });
    expect((await complete(jobId, 'abc\n')).status).toBe(409);
    expect((await complete(jobId, 'abc\ndef\n')).status).toBe(201);
    const late = await append(jobId, 8, 'more\n');
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ code: 'log_complete' });
  });

  it('refuses appends past TSBIT_LOG_LIMIT_BYTES with 413', async () => {
    const jobId = await buildingJob();
    const almost = Buffer.alloc(LOG_LIMIT_BYTES - 10, 'a');
    expect((await append(jobId, 0, almost)).status).toBe(200);
    const over = await append(jobId, almost.length, 'more than ten bytes\n');
    expect(over.status).toBe(413);
    expect(await over.json()).toMatchObject({ code: 'log_too_large', limit: LOG_LIMIT_BYTES, size: almost.length });
  });

  it('takes appends only from builders, and only for an attempt that is still building', async () => {
    const jobId = await buildingJob();
    expect((await append(jobId, 0, 'x\n', submitter)).status).toBe(403);
    expect((await fetch(`${logUrl(jobId)}?offset=0`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'x' })).status).toBe(401);
    const otherBuilder = await fetch(`${logUrl(jobId)}?offset=0`, {
      method: 'POST',
      headers: { authorization: `Bearer ${builder}`, 'content-type': 'application/octet-stream', 'x-tsbit-builder': 'builder-2' },
      body: 'x\n',
    });
    expect(otherBuilder.status).toBe(409);
    expect(await otherBuilder.json()).toMatchObject({ field: 'attempt', detail: expect.stringContaining('leased to builder builder-1') });
    const foreign = await append(jobId, 0, 'x\n', builder, 2);
    expect(foreign.status).toBe(409);
    expect(await foreign.json()).toMatchObject({ field: 'attempt' });

    await log.append(jobStreamId(jobId), [{ type: 'BuildSucceeded', data: { jobId, attempt: 1, builder: 'builder-1', artifacts: [], finishedAt: new Date().toISOString() } }], 'any');
    expect((await append(jobId, 0, 'x\n')).status).toBe(409);
    expect((await fetch(`${baseUrl}/logs/jobs/0/attempts/1?offset=0`, { method: 'POST' })).status).toBe(400);
  });

  it('ends a follow whose attempt ended without completing its log (a lost builder)', async () => {
    const jobId = await buildingJob();
    await append(jobId, 0, 'started\nhalf a li');
    const events = await follow(jobId);
    expect(await events.next()).toMatchObject({ data: 'started' });
    await log.append(jobStreamId(jobId), [{ type: 'LeaseExpired', data: { jobId, attempt: 1, builder: 'builder-1', expiredAt: new Date().toISOString() } }], 'any');
    // Found by the follower's fallback look, a few seconds later.
    expect(await events.next()).toMatchObject({ data: 'half a li' });
    const end = await events.next();
    expect(end).toMatchObject({ event: 'end', id: '17' });
    expect(JSON.parse(end?.data ?? '{}')).toMatchObject({ size: 17, complete: false, detail: expect.stringContaining('lease of attempt 1 expired') });
  });

  it("serves an attempt's log that was uploaded whole (PUT /artifacts) the same way", async () => {
    const jobId = await buildingJob();
    const content = 'uploaded the old way\n';
    const upload = await fetch(`${baseUrl}/artifacts/jobs/${jobId}/attempts/1/build.log`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${builder}`, 'content-type': 'application/octet-stream', 'x-tsbit-sha256': sha256(content), 'x-tsbit-kind': 'log' },
      body: content,
    });
    expect(upload.status).toBe(201);
    expect(await (await fetch(logUrl(jobId), { headers: { range: 'bytes=0-7' } })).text()).toBe('uploaded');
    const events = await follow(jobId);
    expect(await events.next()).toMatchObject({ data: 'uploaded the old way' });
    expect(await events.next()).toMatchObject({ event: 'end' });
  });

  it('closes promptly while a follower waits', async () => {
    const jobId = await buildingJob();
    await append(jobId, 0, 'waiting\n');
    const events = await follow(jobId);
    await events.next();
    const other = createArtifactService({ log, storeDir, tokens: async (id) => tokens.get(id), logger: createLogger('logs-test', 'silent'), maxUploadBytes: 1024 });
    const otherUrl = await other.listen({ port: 0, host: '127.0.0.1' });
    const followersNow = async (): Promise<number> => (await metricsRegistry.getSingleMetric('tsbit_log_followers')!.get()).values[0]?.value ?? 0;
    const before = await followersNow();
    const waiting = eventsOf(await fetch(`${otherUrl}/logs/jobs/${jobId}/attempts/1?follow=1`));
    expect(await waiting.next()).toMatchObject({ data: 'waiting' });
    expect(await followersNow()).toBe(before + 1);
    await other.close();
    expect(await waiting.next()).toBeUndefined();
    // Counted while they follow, and no longer once let go (tsbit_log_followers on /metrics).
    expect(await followersNow()).toBe(before);
  });
});
