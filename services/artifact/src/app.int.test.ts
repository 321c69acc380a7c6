import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Pool } from 'pg';
import { artifactStreamId, jobDecider, jobStreamId, reason } from '@tsbit/domain';
import { handleCommand, PostgresEventLog } from '@tsbit/event-log';
import { createLogger, mintToken, type StoredToken } from '@tsbit/service-kit';
import { createArtifactService } from './app';
import { finishJob, startJob } from './publishing/testing';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe('the artifact service', () => {
  const schema = `art_${randomBytes(4).toString('hex')}`;
  const storeDir = mkdtempSync(path.join(tmpdir(), 'tsbit-artifacts-'));
  let pool: Pool;
  let log: PostgresEventLog;
  let app: FastifyInstance;
  let baseUrl: string;
  const tokens = new Map<string, StoredToken>();
  const issue = (name: string, role: StoredToken['role']): string => {
    const minted = mintToken();
    tokens.set(minted.tokenId, { tokenId: minted.tokenId, name, role, secretSha256: minted.secretSha256, revoked: false });
    return minted.token;
  };
  const builder = issue('builder-1', 'builder');
  const submitter = issue('alice', 'submitter');

  const upload = (name: string, body: Buffer | Readable, headers: Record<string, string> = {}, token = builder, target = { jobId: 7, attempt: 1 }) =>
    fetch(`${baseUrl}/artifacts/jobs/${target.jobId}/attempts/${target.attempt}/${name}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', ...headers },
      body: body instanceof Readable ? (Readable.toWeb(body) as ReadableStream) : body,
      duplex: 'half',
    } as RequestInit);

  beforeAll(async () => {
    pool = new Pool({ connectionString: DATABASE_URL });
    log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema, pool });
    app = createArtifactService({ log, storeDir, tokens: async (id) => tokens.get(id), logger: createLogger('artifact-test', 'silent'), maxUploadBytes: 100 * 1024 * 1024, uploadStartGraceMs: 200 });
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    // Job 7's attempt 1 is being built by builder-1, the name of the test's builder token.
    await startJob(log, 7, { suite: 'bookworm', format: 'deb', arch: 'amd64', builder: 'builder-1' });
  });
  afterAll(async () => {
    await app.close();
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('stores a verified upload by its content and records ArtifactStored once', async () => {
    const content = Buffer.from('a Debian package, honestly');
    const digest = sha256(content);
    const first = await upload('hello_1.0_all.deb', content, { 'x-tsbit-sha256': digest });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ jobId: 7, attempt: 1, name: 'hello_1.0_all.deb', sha256: digest, size: String(content.length), kind: 'deb', builder: 'builder-1' });
    expect(readFileSync(path.join(storeDir, digest.slice(0, 2), digest))).toEqual(content);
    const again = await upload('hello_1.0_all.deb', content, { 'x-tsbit-sha256': digest });
    expect(again.status).toBe(200);
    const events = await log.readStream(artifactStreamId(7));
    expect(events.map((event) => event.type)).toEqual(['ArtifactStored']);
  });

  it('refuses a body whose sha256 is not the one announced, storing nothing', async () => {
    const response = await upload('wrong.deb', Buffer.from('tampered'), { 'x-tsbit-sha256': sha256('original') });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ field: 'x-tsbit-sha256' });
    expect(existsSync(path.join(storeDir, sha256('tampered').slice(0, 2), sha256('tampered')))).toBe(false);
  });

  it.each(['..%2Fescape.deb', '.hidden', 'a%2Fb.deb'])('refuses the file name %s, naming the field', async (name) => {
    const response = await upload(name, Buffer.from('x'), { 'x-tsbit-sha256': sha256('x') });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field: 'name' });
  });

  it('takes uploads from builders only', async () => {
    expect((await upload('x.log', Buffer.from('x'), { 'x-tsbit-sha256': sha256('x') }, submitter)).status).toBe(403);
    const anonymous = await fetch(`${baseUrl}/artifacts/jobs/7/attempts/1/x.log`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'x-tsbit-sha256': sha256('x') }, body: 'x' });
    expect(anonymous.status).toBe(401);
  });

  it('serves the same bytes back, with an etag, 304 when unchanged and 404 when unknown', async () => {
    const content = Buffer.from('build log line\n');
    const digest = sha256(content);
    await upload('build.log', content, { 'x-tsbit-sha256': digest, 'x-tsbit-kind': 'log' });
    const download = await fetch(`${baseUrl}/artifacts/${digest}/build.log`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toContain('text/plain');
    expect(Buffer.from(await download.arrayBuffer())).toEqual(content);
    expect((await fetch(`${baseUrl}/artifacts/${digest}`, { headers: { 'if-none-match': `"${digest}"` } })).status).toBe(304);
    expect((await fetch(`${baseUrl}/artifacts/${'0'.repeat(64)}/nothing.deb`)).status).toBe(404);
  });

  it('streams a large upload to disk and gets its hash right', async () => {
    const chunk = randomBytes(1024 * 1024);
    const chunks = 50;
    const hash = createHash('sha256');
    for (let index = 0; index < chunks; index += 1) hash.update(chunk);
    const digest = hash.digest('hex');
    const body = Readable.from((function* () {
      for (let index = 0; index < chunks; index += 1) yield chunk;
    })());
    const response = await upload('big.deb', body, { 'x-tsbit-sha256': digest });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { size: string }).size).toBe(String(chunks * chunk.length));
  });
  describe('scoped to the attempt a builder holds a lease on', () => {
    const content = Buffer.from('a package of a job');
    const headers = { 'x-tsbit-sha256': sha256(content) };
    const stored = async (jobId: number): Promise<number> => (await log.readStream(artifactStreamId(jobId))).length;

    it('takes the upload of a builder that shares a pool token when it names the builder holding the lease', async () => {
      await startJob(log, 20, { suite: 'bookworm', format: 'deb', arch: 'amd64', builder: 'pool-b7' });
      const response = await upload('shared.deb', content, { ...headers, 'x-tsbit-builder': 'pool-b7' }, builder, { jobId: 20, attempt: 1 });
      expect(response.status).toBe(201);
      expect(await response.json()).toMatchObject({ builder: 'pool-b7' });
    });

    it('refuses an upload from another builder than the lease holder with 409, storing nothing', async () => {
      await startJob(log, 21, { suite: 'bookworm', format: 'deb', arch: 'amd64', builder: 'builder-2' });
      const response = await upload('foreign.deb', content, headers, builder, { jobId: 21, attempt: 1 });
      expect(response.status).toBe(409);
      expect(await response.json()).toMatchObject({ field: 'attempt', detail: 'attempt 1 of job 21 is leased to builder builder-2, not builder-1' });
      expect(await stored(21)).toBe(0);
    });

    it('refuses an upload for an attempt that is over or does not exist', async () => {
      await startJob(log, 22, { suite: 'bookworm', format: 'deb', arch: 'amd64', builder: 'builder-1' });
      await finishJob(log, 22, 'builder-1', []);
      const late = await upload('late.deb', content, headers, builder, { jobId: 22, attempt: 1 });
      expect(late.status).toBe(409);
      expect(((await late.json()) as { detail: string }).detail).toContain('attempt 1 has succeeded and is over');
      const future = await upload('future.deb', content, headers, builder, { jobId: 7, attempt: 2 });
      expect(future.status).toBe(409);
      expect(((await future.json()) as { detail: string }).detail).toContain('attempt 2 of job 7 does not exist');
      expect(await stored(22)).toBe(0);
    });

    it('refuses an upload for an attempt whose lease expired', async () => {
      await startJob(log, 23, { suite: 'bookworm', format: 'deb', arch: 'amd64', builder: 'builder-1' });
      await handleCommand({ log, stream: jobStreamId(23), decider: jobDecider, command: { type: 'ExpireLease', attempt: 1, builder: 'builder-1', at: new Date().toISOString() } });
      const response = await upload('expired.deb', content, headers, builder, { jobId: 23, attempt: 1 });
      expect(response.status).toBe(409);
      expect(((await response.json()) as { detail: string }).detail).toContain('the lease of attempt 1 expired');
      expect(await stored(23)).toBe(0);
    });

    it('takes only the log of a job being cancelled, and nothing once it is cancelled', async () => {
      await startJob(log, 24, { suite: 'bookworm', format: 'deb', arch: 'amd64', builder: 'builder-1' });
      const at = new Date().toISOString();
      await handleCommand({ log, stream: jobStreamId(24), decider: jobDecider, command: { type: 'CancelJob', by: { kind: 'user', name: 'alice' }, reason: reason('cancelled_by_user', 'no longer wanted'), at } });
      const deb = await upload('cancelled.deb', content, headers, builder, { jobId: 24, attempt: 1 });
      expect(deb.status).toBe(409);
      expect(((await deb.json()) as { detail: string }).detail).toContain('being cancelled');
      const logText = Buffer.from('stopped\n');
      const logUpload = await upload('build.log', logText, { 'x-tsbit-sha256': sha256(logText), 'x-tsbit-kind': 'log' }, builder, { jobId: 24, attempt: 1 });
      expect(logUpload.status).toBe(201);
      await handleCommand({ log, stream: jobStreamId(24), decider: jobDecider, command: { type: 'ConfirmCancel', attempt: 1, builder: 'builder-1', at } });
      const after = await upload('after.log', logText, { 'x-tsbit-sha256': sha256(logText), 'x-tsbit-kind': 'log' }, builder, { jobId: 24, attempt: 1 });
      expect(after.status).toBe(409);
      expect(((await after.json()) as { detail: string }).detail).toContain('job 24 was cancelled');
      expect((await log.readStream(artifactStreamId(24))).map((event) => (event.data as { name: string }).name)).toEqual(['build.log']);
    });

    it('answers 404 for a job that does not exist', async () => {
      const response = await upload('nothing.deb', content, headers, builder, { jobId: 999, attempt: 1 });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { detail: string }).detail).toBe('no job 999');
    });

    it('refuses an attempt that no builder has started, once the wait for its BuildStarted is over', async () => {
      const at = new Date().toISOString();
      await startJob(log, 25, { suite: 'bookworm', format: 'deb', arch: 'amd64', builder: 'builder-1' });
      await finishJob(log, 25, 'builder-1', [], 'failed');
      await handleCommand({ log, stream: jobStreamId(25), decider: jobDecider, command: { type: 'RetryJob', by: { kind: 'user', name: 'alice' }, automatic: false, at } });
      await handleCommand({ log, stream: jobStreamId(25), decider: jobDecider, command: { type: 'QueueJob', routingKey: 'deb.bookworm.amd64', at } });
      const response = await upload('early.deb', content, headers, builder, { jobId: 25, attempt: 2 });
      expect(response.status).toBe(409);
      expect(((await response.json()) as { detail: string }).detail).toBe('attempt 2 of job 25 is queued but no builder has started it');
    });
  });
});
