import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { serializeEvent, type DomainEvent } from '@tsbit/domain';
import { PostgresEventLog } from '@tsbit/event-log';
import { applyEvents } from './projector';
import { createReadModels, type ReadModels } from './queries';
import { migrateReadModels } from './schema';
import { at, buildInputs, builtJob, submittedJob } from './testing';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

describe('read models fed by real events', () => {
  const schema = `rm_${randomBytes(4).toString('hex')}`;
  let pool: Pool;
  let log: PostgresEventLog;
  let readModels: ReadModels;
  let applied = 0n;

  const append = async (stream: string, events: DomainEvent[]) => {
    const existing = await log.readStream(stream);
    await log.append(stream, events.map(serializeEvent), existing.length === 0 ? 'no_stream' : existing.length - 1);
  };
  const project = async () => {
    const events = await log.readAll(applied, 10_000);
    const client = await pool.connect();
    try {
      await applyEvents(client, schema, 'test', events);
    } finally {
      client.release();
    }
    applied = events[events.length - 1]?.position ?? applied;
    return events;
  };

  beforeAll(async () => {
    pool = new Pool({ connectionString: DATABASE_URL });
    log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema, pool });
    await migrateReadModels(pool, schema);
    readModels = createReadModels(pool, schema);
  });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  });

  it('shows a built job with its status history and artifacts', async () => {
    await append('builder-b1', [{ type: 'BuilderRegistered', data: { name: 'b1', arches: ['amd64'], suites: ['bookworm'], formats: ['deb'], slots: 1, registeredAt: at(0), archSupport: [], unavailable: [] } }]);
    for (const { stream, events } of builtJob(1)) await append(stream, events);
    await project();
    const job = await readModels.jobs.get(1);
    expect(job).toMatchObject({ id: 1, status: 'Done', attempt: 1, builder: 'b1', package: 'pkg1' });
    expect(job?.history.map((step) => [step.event, step.status])).toEqual([
      ['JobSubmitted', 'Waiting'],
      ['JobQueued', 'Waiting'],
      ['BuildStarted', 'Building'],
      ['BuildSucceeded', 'Done'],
    ]);
    expect(job?.artifacts).toEqual([expect.objectContaining({ name: 'pkg1_1.0-1_all.deb', size: 2048, url: `/artifacts/${'a'.repeat(64)}/pkg1_1.0-1_all.deb` })]);
    expect(await readModels.builders.get('b1')).toMatchObject({ state: 'idle', runningJobs: [] });
    expect(job).toMatchObject({ mode: 'native', inputs: buildInputs(1) });
  });

  it('shows where a built job was published, with the line that installs it, once and only once', async () => {
    expect((await readModels.jobs.get(1))?.published).toBeNull();
    const published: DomainEvent = {
      type: 'PackagePublished',
      data: {
        jobId: 1, attempt: 1, suite: 'bookworm', format: 'deb', arch: 'amd64', repository: '/repos/deb',
        packages: [{ name: 'pkg1', version: '1.0-1', arch: 'all', filename: 'pool/main/p/pkg1/pkg1_1.0-1_all.deb' }],
        publishedAt: at(31),
      },
    };
    await append('publication-1', [published]);
    await project();
    const expected = {
      attempt: 1, suite: 'bookworm', format: 'deb', repository: '/repos/deb', publishedAt: at(31),
      packages: [{ name: 'pkg1', version: '1.0-1', arch: 'all', filename: 'pool/main/p/pkg1/pkg1_1.0-1_all.deb' }],
      setup: '/repos/deb/bookworm.sources', install: 'apt-get install pkg1=1.0-1',
    };
    expect((await readModels.jobs.get(1))?.published).toMatchObject(expected);
    // The relay delivers at least once: the same event again changes nothing.
    const client = await pool.connect();
    try {
      await applyEvents(client, schema, 'test', (await log.readStream('publication-1')));
    } finally {
      client.release();
    }
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${schema}.publications`)).rows[0].n).toBe(1);
    expect((await readModels.jobs.get(1))?.published).toMatchObject(expected);
  });

  it('changes nothing when the same events are applied again', async () => {
    const before = await readModels.jobs.get(1);
    const client = await pool.connect();
    await applyEvents(client, schema, 'test', await log.readAll(0n, 10_000));
    client.release();
    expect(await readModels.jobs.get(1)).toEqual(before);
  });

  it('says why a waiting job waits: its place in the queue, or no builder for its architecture', async () => {
    await append('job-2', [submittedJob(2)]);
    await append('job-3', [submittedJob(3)]);
    await append('job-4', [submittedJob(4, { arch: 'arm64' })]);
    await project();
    expect((await readModels.jobs.get(3))?.reason).toMatchObject({ code: 'queued', message: '2nd in the queue for bookworm/amd64' });
    expect((await readModels.jobs.get(4))?.reason).toMatchObject({ code: 'no_builder_online', message: 'no builder online for arm64' });
  });

  it('says of a job handed to a builder only that, without a place in the queue', async () => {
    // On i386, which no builder serves: were it still waiting for a slot, it would say so.
    await append('job-5', [submittedJob(5, { arch: 'i386' }), { type: 'JobQueued', data: { jobId: 5, attempt: 1, routingKey: 'deb.bookworm.i386', queuedAt: at(2) } }]);
    await project();
    expect(await readModels.jobs.get(5)).toMatchObject({ status: 'Waiting', reason: { code: 'queued', message: 'queued for a builder' } });
    expect((await readModels.jobs.get(5))?.estimatedStartAt).toBeUndefined();
    expect((await readModels.jobs.list({ arch: 'i386' })).items[0]?.reason).toMatchObject({ message: 'queued for a builder' });
  });

  it('says on a list page too who could build each waiting job, without counting places', async () => {
    const reasons = new Map((await readModels.jobs.list({ status: 'Waiting' })).items.map((job) => [job.id, job.reason]));
    expect(reasons.get(3)).toEqual({ code: 'queued', message: 'in the queue for bookworm/amd64', jobIds: [] });
    expect(reasons.get(4)).toEqual({ code: 'no_builder_online', message: 'no builder online for arm64', jobIds: [] });
    expect((await readModels.jobs.list({ status: 'Done' })).items[0]?.reason).toBeNull();
  });

  it('says so when every builder that could take a waiting job is drained', async () => {
    await append('builder-b1', [{ type: 'BuilderPaused', data: { name: 'b1', pausedBy: 'admin', pausedAt: at(3) } }]);
    await project();
    expect((await readModels.jobs.get(3))?.reason).toMatchObject({ code: 'paused_by_admin', message: 'every builder for bookworm/amd64 is paused by an admin' });
    expect((await readModels.jobs.list({ arch: 'amd64', status: 'Waiting' })).items.map((job) => job.reason?.code)).toEqual(['paused_by_admin', 'paused_by_admin']);
    await append('builder-b1', [{ type: 'BuilderResumed', data: { name: 'b1', resumedBy: 'admin', resumedAt: at(4) } }]);
    await project();
    expect((await readModels.jobs.get(3))?.reason).toMatchObject({ code: 'queued' });
  });

  it('lists newest first, filters, and pages with a cursor', async () => {
    for (let id = 10; id < 25; id += 1) await append(`job-${id}`, [submittedJob(id, { project: id % 2 ? 'odd' : 'even' })]);
    await project();
    const first = await readModels.jobs.list({ project: 'odd', limit: 3 });
    expect(first.items.map((job) => job.id)).toEqual([23, 21, 19]);
    expect(first.total).toBe(7);
    const second = await readModels.jobs.list({ project: 'odd', limit: 3, cursor: first.nextCursor ?? undefined });
    expect(second.items.map((job) => job.id)).toEqual([17, 15, 13]);
    const oldest = await readModels.jobs.list({ order: 'oldest', limit: 2 });
    expect(oldest.items.map((job) => job.id)).toEqual([1, 2]);
    expect((await readModels.jobs.list({ status: 'Done' })).items.map((job) => job.id)).toEqual([1]);
    await expect(readModels.jobs.list({ cursor: 'garbage!' })).rejects.toThrow(/cursor/);
  });

  it('removes a deleted job from the lists and from the totals', async () => {
    const before = (await readModels.jobs.list({})).total;
    const waiting = (await readModels.jobs.list({ status: 'Waiting' })).total;
    await append('job-2', [{ type: 'JobDeleted', data: { jobId: 2, deletedBy: { kind: 'user', name: 'alice' }, deletedAt: at(5) } }]);
    await project();
    expect(await readModels.jobs.get(2)).toBeUndefined();
    expect((await readModels.jobs.list({})).total).toBe(before - 1);
    expect((await readModels.jobs.list({ status: 'Waiting' })).total).toBe(waiting - 1);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.jobs WHERE NOT deleted`);
    expect(before - 1).toBe(rows[0].n);
  });

  it('keeps tokens by hash and marks revoked ones', async () => {
    await append('access', [
      { type: 'TokenIssued', data: { tokenId: 'abcdef012345', name: 'ci', role: 'submitter', secretSha256: 'f'.repeat(64), issuedBy: 'admin', issuedAt: at(0) } },
      { type: 'TokenRevoked', data: { tokenId: 'abcdef012345', revokedBy: 'admin', revokedAt: at(1) } },
    ]);
    await project();
    expect(await readModels.tokens.get('abcdef012345')).toEqual({ tokenId: 'abcdef012345', name: 'ci', role: 'submitter', secretSha256: 'f'.repeat(64), revoked: true });
  });

  it('hands out job ids in batches', async () => {
    const ids = await readModels.nextJobIds(3);
    expect(ids[1]! - ids[0]!).toBe(1);
    expect(ids).toHaveLength(3);
  });

  it('records how each attempt was built: the mode announced at its start, the mode used and the inputs at its success', async () => {
    const inputs = buildInputs(30, { chroot: 'bookworm-arm64.tar', mode: 'emulated', buildinfo: 'pkg30_1.0-1_arm64.buildinfo' });
    await append('job-30', [
      submittedJob(30, { arch: 'arm64', buildArchIndep: false }),
      { type: 'JobQueued', data: { jobId: 30, attempt: 1, routingKey: 'deb.bookworm.arm64', queuedAt: at(1) } },
      { type: 'BuildStarted', data: { jobId: 30, attempt: 1, builder: 'b1', startedAt: at(2), mode: 'cross' } },
    ]);
    await project();
    expect(await readModels.jobs.get(30)).toMatchObject({ status: 'Building', mode: 'cross', inputs: null });

    await append('job-30', [{ type: 'BuildSucceeded', data: { jobId: 30, attempt: 1, builder: 'b1', artifacts: [], finishedAt: at(40), inputs } }]);
    await project();
    const job = await readModels.jobs.get(30);
    expect(job).toMatchObject({ status: 'Done', mode: 'emulated', inputs });
    expect(job?.history.map((step) => [step.event, step.mode])).toEqual([
      ['JobSubmitted', null],
      ['JobQueued', null],
      ['BuildStarted', 'cross'],
      ['BuildSucceeded', 'emulated'],
    ]);
  });

  it('shows how a builder serves each arch and what it cannot build, as its latest registration says, through its builds', async () => {
    const amd64 = { suite: 'bookworm', arch: 'amd64', mode: 'native' as const, chroot: 'bookworm-amd64.tar' };
    const arm64 = { suite: 'bookworm', arch: 'arm64', mode: 'cross' as const, chroot: 'bookworm-amd64-cross-arm64.tar' };
    const i386 = { suite: 'bookworm', arch: 'i386', reason: 'no chroot bookworm-i386.tar', fix: 'sudo services/builder/scripts/make-chroot.sh bookworm i386' };
    const registered = (archSupport: (typeof amd64 | typeof arm64)[], unavailable: (typeof i386)[], registeredAt: string): DomainEvent => ({
      type: 'BuilderRegistered',
      data: { name: 'b9', arches: archSupport.map((support) => support.arch), suites: ['bookworm'], formats: ['deb'], slots: 1, registeredAt, archSupport, unavailable },
    });
    await append('builder-b9', [registered([amd64, arm64], [i386], at(50))]);
    await append('job-40', [
      submittedJob(40),
      { type: 'JobQueued', data: { jobId: 40, attempt: 1, routingKey: 'deb.bookworm.amd64', queuedAt: at(51) } },
      { type: 'BuildStarted', data: { jobId: 40, attempt: 1, builder: 'b9', startedAt: at(52), mode: 'native' } },
    ]);
    await project();
    expect(await readModels.builders.get('b9')).toMatchObject({ state: 'building', archSupport: [amd64, arm64], unavailable: [i386] });

    const i386Native = { suite: 'bookworm', arch: 'i386', mode: 'native' as const, chroot: 'bookworm-i386.tar' };
    await append('builder-b9', [registered([amd64, i386Native, arm64], [], at(53))]);
    await project();
    const builder = (await readModels.builders.list()).find((found) => found.name === 'b9');
    expect(builder).toMatchObject({ arches: ['amd64', 'i386', 'arm64'], archSupport: [amd64, i386Native, arm64], unavailable: [], runningJobs: [40] });
  });

  it('shows no modes for a builder whose registration does not give them', async () => {
    await log.append('builder-b8', [{ type: 'BuilderRegistered', data: { name: 'b8', arches: ['amd64'], suites: ['bookworm'], formats: ['rpm'], slots: 1, registeredAt: at(60) } }], 'no_stream');
    await project();
    expect(await readModels.builders.get('b8')).toMatchObject({ archSupport: [], unavailable: [] });
  });
});
