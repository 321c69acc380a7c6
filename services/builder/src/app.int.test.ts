import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import pino from 'pino';
import { Broker, buildRoutingKey, topologyNames } from '@tsbit/messaging';
import { waitFor } from '@tsbit/service-kit';
import { createApiClient } from './api-client';
import { createBuilder, type Builder } from './app';
import { jobDirectory } from './build-runner';
import { deleteAmqpObjects } from '@tsbit/messaging/testing';
import { startTestApi, type TestApi } from './testing/fake-api';
import { gitCommitAll, makeDebianTree } from './testing/fixtures';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const logger = pino({ level: 'silent' });
/** Real builds on a busy machine (two cores shared with other suites): the waits below bound each step. */
jest.setTimeout(60_000);

type Report = { builder: string } & Record<string, unknown>;
type Ids = { jobId: number; attempt: number };

describe('the builder between RabbitMQ and the API', () => {
  const id = randomBytes(4).toString('hex');
  const prefix = `test-builder-${id}`;
  const names = topologyNames(prefix);
  const name = `builder-${id}`;
  const scratch = mkdtempSync(path.join(tmpdir(), 'tsbit-builder-app-'));
  const workDir = path.join(scratch, 'work');
  const reports: Report[] = [];
  let broker: Broker;
  let api: TestApi;
  let builder: Builder | undefined;
  let jobIds = 0;

  beforeAll(async () => {
    api = await startTestApi();
    broker = await Broker.create({ url: AMQP_URL, prefix, name: 'builder-test', logger });
    // Stands in for the scheduler's reports queue.
    await broker.consume({
      queue: names.reportsQueue,
      bindings: [{ exchange: names.reports, routingKey: 'report' }],
      prefetch: 100,
      handler: async ({ body }: { body: unknown }) => {
        reports.push(body as Report);
      },
    });
  });

  afterEach(async () => {
    await builder?.close();
    builder = undefined;
  });

  afterAll(async () => {
    await broker.close();
    const buildQueue = names.buildQueue(buildRoutingKey({ format: 'deb', suite: 'bookworm', arch: 'amd64' }));
    await deleteAmqpObjects(AMQP_URL, {
      queues: [buildQueue, `${buildQueue}.retry`, names.reportsQueue, `${names.reportsQueue}.retry`],
      exchanges: [names.builds, names.reports, names.control],
    });
    await api.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const startBuilder = async (overrides: { arches?: string[] } = {}): Promise<Builder> => {
    builder = createBuilder({
      broker,
      api: createApiClient({ baseUrl: api.url, token: api.token, uploadAttempts: 2, uploadBackoffMs: 10 }),
      logger,
      config: {
        prefix,
        name,
        arches: overrides.arches ?? ['amd64'],
        suites: ['bookworm'],
        formats: ['deb'],
        slots: 1,
        workDir,
        backend: 'native',
        chrootDir: path.join(scratch, 'chroots'),
        repositoryUrl: `${api.url}/repos`,
        keepFailed: true,
        heartbeatMs: 200,
        helloEvery: 3,
        buildTimeoutMs: 60_000,
        cancelGraceMs: 1000,
      },
    });
    await builder.start();
    return builder;
  };

  const request = (tree: { package: string }, url: string, overrides: { attempt?: number } = {}) => {
    const jobId = ++jobIds + Math.floor(Math.random() * 1000) * 1000;
    const attempt = overrides.attempt ?? 1;
    return {
      jobId,
      attempt,
      package: tree.package,
      version: '1.0',
      suite: 'bookworm',
      dist: 'debian',
      arch: 'amd64',
      format: 'deb',
      env: '',
      source: { method: 'git', url, ref: 'main' },
      buildArchIndep: true,
      queuedAt: new Date().toISOString(),
    };
  };

  const publishRequest = (body: ReturnType<typeof request>): Promise<unknown> =>
    broker.publish(names.builds, buildRoutingKey({ format: 'deb', suite: 'bookworm', arch: 'amd64' }), body, {
      messageId: `job-${body.jobId}:${body.attempt}`,
    });

  const reportsFor = ({ jobId, attempt }: Ids): { kind: string; data: Record<string, unknown> }[] =>
    reports.flatMap((report) =>
      ['started', 'succeeded', 'failed', 'cancelled']
        .filter((kind) => {
          const data = report[kind] as Ids | undefined;
          return data?.jobId === jobId && data.attempt === attempt;
        })
        .map((kind) => ({ kind, data: report[kind] as Record<string, unknown> })),
    );

  const finalReport = (ids: Ids) =>
    waitFor(`a final report for job ${ids.jobId}`, () => reportsFor(ids).find((report) => report.kind !== 'started'), { timeoutMs: 30_000 });

  const sleepingBuild = async (): Promise<ReturnType<typeof request>> => {
    const tree = makeDebianTree({ root: scratch, package: `sleepy-${id}`, rules: 'sleeping' });
    const body = request(tree, gitCommitAll(tree.dir));
    api.jobs.set(body.jobId, { status: 'Waiting', attempt: 1 });
    await publishRequest(body);
    const logFile = path.join(jobDirectory(workDir, body), 'build.log');
    await waitFor('the build to reach its sleep', () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('tsbit-test: sleeping'), {
      timeoutMs: 30_000,
    });
    return body;
  };

  it('says hello with the arches it can build, takes a request, reports started then succeeded with the artifacts it uploaded and its inputs, and heartbeats', async () => {
    // A native builder builds for its own architecture only: i386 is named, with its fix, not advertised.
    await startBuilder({ arches: ['amd64', 'i386'] });
    await waitFor('hello', () =>
      reports.find((report) => report.builder === name && (report.hello as { slots?: number } | undefined)?.slots === 1),
    );
    const hello = reports.find((report) => report.builder === name && report.hello)?.hello;
    expect(hello).toEqual({
      arches: ['amd64'],
      suites: ['bookworm'],
      formats: ['deb'],
      slots: 1,
      archSupport: [{ arch: 'amd64', suite: 'bookworm', mode: 'native', chroot: '' }],
      unavailable: [{ arch: 'i386', suite: 'bookworm', reason: expect.stringContaining('native back end') as string, fix: 'TSBIT_BUILDER_BACKEND=sbuild' }],
    });

    const tree = makeDebianTree({ root: scratch, package: `hello-${id}` });
    const body = request(tree, gitCommitAll(tree.dir));
    api.jobs.set(body.jobId, { status: 'Waiting', attempt: 1 });
    await publishRequest(body);

    const final = await finalReport(body);
    expect(reportsFor(body).map((report) => report.kind)).toEqual(['started', 'succeeded']);
    expect(reportsFor(body)[0]?.data.mode).toBe('native');
    expect(final.kind).toBe('succeeded');
    expect(final.data.inputs).toEqual({
      sourceFiles: [],
      sourceRevision: expect.stringMatching(/^[0-9a-f]{40}$/) as string,
      sourceTreeSha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
      chroot: '',
      chrootSha256: '',
      backend: 'native',
      backendVersion: expect.stringContaining('dpkg-buildpackage') as string,
      buildinfo: `${tree.package}_1.0_amd64.buildinfo`,
      mode: 'native',
    });
    const artifacts = final.data.artifacts as { name: string; sha256: string; size: string; kind: string }[];
    expect(artifacts.map((artifact) => artifact.kind).sort()).toEqual(['buildinfo', 'changes', 'deb', 'log']);
    for (const artifact of artifacts) {
      const upload = api.uploads.find((candidate) => candidate.jobId === body.jobId && candidate.name === artifact.name);
      expect(upload?.sha256).toBe(artifact.sha256);
      expect(String(upload?.content.length)).toBe(artifact.size);
    }
    // Every report of a build in flight renews its lease.
    const start = reports.findIndex((report) => (report.started as Ids | undefined)?.jobId === body.jobId);
    const heartbeats = () => reports.slice(start).filter((report) => report.heartbeat);
    await waitFor('a heartbeat after the build', () => heartbeats().some((report) => (report.heartbeat as { running: Ids[] }).running.length === 0));
    await waitFor('a second hello', () => reports.filter((report) => report.builder === name && report.hello).length >= 2);
  });

  it('skips requests of deleted, cancelled and superseded jobs without reporting them', async () => {
    await startBuilder();
    const tree = makeDebianTree({ root: scratch, package: `skip-${id}` });
    const url = gitCommitAll(tree.dir);
    const deleted = request(tree, url);
    const cancelled = request(tree, url);
    const stale = request(tree, url, { attempt: 1 });
    api.jobs.set(cancelled.jobId, { status: 'Cancelled', attempt: 1 });
    api.jobs.set(stale.jobId, { status: 'Waiting', attempt: 2 });
    const marker = { ...request(tree, url), buildArchIndep: false };
    api.jobs.set(marker.jobId, { status: 'Waiting', attempt: 1 });
    for (const body of [deleted, cancelled, stale, marker]) await publishRequest(body);

    // One slot, one queue: the requests are taken in order, so the marker's report comes last.
    await finalReport(marker);
    expect(reportsFor(deleted)).toEqual([]);
    expect(reportsFor(cancelled)).toEqual([]);
    expect(reportsFor(stale)).toEqual([]);
  });

  it('cancels a running build on BuilderControl: stops it, uploads the log so far, reports cancelled', async () => {
    await startBuilder();
    const body = await sleepingBuild();
    expect(builder?.running()).toEqual([{ jobId: body.jobId, attempt: 1 }]);
    await waitFor('a heartbeat naming the build', () =>
      reports.some((report) => (report.heartbeat as { running: Ids[] } | undefined)?.running.some((ids) => ids.jobId === body.jobId)),
    );

    await broker.publish(names.control, name, { cancel: { jobId: body.jobId, attempt: 1 } }, { messageId: `cancel-${body.jobId}` });

    const final = await finalReport(body);
    expect(final.kind).toBe('cancelled');
    expect(api.uploads.filter((upload) => upload.jobId === body.jobId).map((upload) => upload.kind)).toEqual(['log']);
    await waitFor('the build to leave the running list', () => builder?.running().length === 0);
  });

  it('takes no request while drained, finishing what it runs, and takes them again once released', async () => {
    await startBuilder();
    const queue = names.buildQueue(buildRoutingKey({ format: 'deb', suite: 'bookworm', arch: 'amd64' }));
    const queueState = async (): Promise<{ consumerCount: number; messageCount: number }> => {
      const connection = await amqp.connect(AMQP_URL);
      try {
        return await (await connection.createChannel()).checkQueue(queue);
      } finally {
        await connection.close();
      }
    };
    /** Waits for `count` more heartbeats: the builder has handled whatever came before them. */
    const heartbeatsLater = async (count: number): Promise<void> => {
      const seen = reports.filter((report) => report.builder === name && report.heartbeat).length;
      await waitFor(`${count} heartbeats`, () => reports.filter((report) => report.builder === name && report.heartbeat).length >= seen + count);
    };
    const running = await sleepingBuild();

    await broker.publish(names.control, name, { drain: { drained: true } }, { messageId: `drain-${id}` });
    // The running build ends (cancelled here, to be quick): its slot frees, but a drained builder consumes nothing.
    await broker.publish(names.control, name, { cancel: { jobId: running.jobId, attempt: 1 } }, { messageId: `cancel-${running.jobId}` });
    await finalReport(running);
    const tree = makeDebianTree({ root: scratch, package: `after-drain-${id}` });
    const waiting = request(tree, gitCommitAll(tree.dir));
    api.jobs.set(waiting.jobId, { status: 'Waiting', attempt: 1 });
    await publishRequest(waiting);
    await heartbeatsLater(3);
    expect(await queueState()).toEqual(expect.objectContaining({ consumerCount: 0, messageCount: 1 }));
    expect(reportsFor(waiting)).toEqual([]);

    await broker.publish(names.control, name, { drain: { drained: false } }, { messageId: `release-${id}` });
    expect((await finalReport(waiting)).kind).toBe('succeeded');
  });

  it('hands running builds back on shutdown as infrastructure failures', async () => {
    const running = await startBuilder();
    const body = await sleepingBuild();

    await running.close();
    builder = undefined;

    const final = await finalReport(body);
    expect(final).toMatchObject({ kind: 'failed', data: { failureClass: 'infrastructure', code: 'builder_shutdown' } });
  });
});
