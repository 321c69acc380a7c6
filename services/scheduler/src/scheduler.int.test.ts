import { catalogDecider, catalogStreamId, DEBIAN_KEYRINGS, publicationStreamId, serializeEvent, type CatalogCommand, type PackagePublished } from '@tsbit/domain';
import { handleCommand } from '@tsbit/event-log';
import { toEventMessage } from '@tsbit/messaging';
import { startHarness, type Harness } from './testing/harness';

const ADMIN = { kind: 'user' as const, name: 'admin' };
// Above the harness's own waits (10 s each), so that a stuck test names what it waited for.
jest.setTimeout(30_000);
const now = (): string => new Date().toISOString();

describe('the scheduler, against the real log, relay and RabbitMQ', () => {
  let h: Harness;

  afterEach(async () => {
    await h.close();
  });

  it('queues a submitted job and sends its BuildRequest on its routing key, with its priority, once a builder serves it', async () => {
    h = await startHarness();
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1');

    await h.submit(1, { priority: 3 });

    const request = await builder.waitForRequest(1);
    expect(request).toMatchObject({ messageId: 'job-1:1', priority: 8, routingKey: 'deb.bookworm.amd64' });
    expect(request.body).toMatchObject({ jobId: 1, attempt: 1, package: 'pkg1', version: '1.0-1', suite: 'bookworm', arch: 'amd64', format: 'deb', dist: 'debian', source: { method: 'git', url: 'https://example.org/pkg.git', ref: 'main' }, buildArchIndep: true });
    const queued = await h.waitForEvent(1, 'JobQueued');
    expect(queued.data).toMatchObject({ jobId: 1, attempt: 1, routingKey: 'deb.bookworm.amd64' });
    expect(request.body['queuedAt']).toBe(queued.data['queuedAt']);
    expect(await h.eventTypes(1)).toEqual(['JobSubmitted', 'JobQueued']);
  });

  it("carries the suite's settings as the catalogue has them at dispatch: keyrings and lintian, else the dist's defaults", async () => {
    h = await startHarness();
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1', { slots: 3 });

    await h.submit(1);
    expect((await builder.waitForRequest(1)).body).toMatchObject({ keyrings: [...DEBIAN_KEYRINGS], skipSignatureCheck: false, runLintian: true });

    const by = 'admin';
    const define = async (command: CatalogCommand) => handleCommand({ log: h.log, stream: catalogStreamId, decider: catalogDecider, command, metadata: { causedBy: ADMIN } });
    await define({ type: 'AddCatalogEntry', kind: 'arch', name: 'amd64', description: '', at: now(), by });
    await define({ type: 'AddCatalogEntry', kind: 'dist', name: 'debian', description: '', at: now(), by });
    await define({ type: 'AddCatalogEntry', kind: 'format', name: 'deb', description: '', at: now(), by });
    const suite = { name: 'bookworm', dist: 'debian', arches: [{ arch: 'amd64', masterWeight: 1 }], formats: ['deb'], envs: [] };
    await define({ type: 'DefineSuite', suite: { ...suite, keyrings: ['/etc/tsbit/uploaders.gpg'], skipSignatureCheck: false, skipLintian: true }, at: now(), by });
    await h.submit(2);
    expect((await builder.waitForRequest(2)).body).toMatchObject({ keyrings: ['/etc/tsbit/uploaders.gpg'], skipSignatureCheck: false, runLintian: false });

    await define({ type: 'DefineSuite', suite: { ...suite, keyrings: [], skipSignatureCheck: true, skipLintian: false }, at: now(), by });
    await h.submit(3);
    expect((await builder.waitForRequest(3)).body).toMatchObject({ keyrings: [], skipSignatureCheck: true, runLintian: true });
  });

  it('keeps a job for an architecture no builder serves pending, and dispatches it when such a builder says hello', async () => {
    h = await startHarness();
    await h.startScheduler();
    const amd64 = await h.onlineBuilder('amd64');

    await h.submit(1, { arch: 'arm64' });
    await h.submit(2);
    // Events are handled in log order: job 2's dispatch comes after job 1 was judged and held.
    await amd64.waitForRequest(2);
    expect(h.scheduler.model.pendingCount().get('deb.bookworm.arm64')).toBe(1);
    expect(await h.eventTypes(1)).toEqual(['JobSubmitted']);
    const metrics = await h.scheduler.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('tsbit_pending_jobs{routing_key="deb.bookworm.arm64"} 1');
    expect(metrics.body).toMatch(/tsbit_dispatch_seconds_count\{routing_key="deb.bookworm.amd64"\} [1-9]/);

    const arm64 = await h.onlineBuilder('arm64', { arches: ['arm64'] });
    expect((await arm64.waitForRequest(1)).routingKey).toBe('deb.bookworm.arm64');
    expect(amd64.requests.map((request) => request.jobId)).toEqual([2]);
  });

  it('blocks a job on its dependency and queues it by itself once the dependency is Done', async () => {
    h = await startHarness();
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1', { slots: 2 });

    await h.submit(1);
    await h.submit(2, { dependsOn: [1] });
    const blocked = await h.waitForEvent(2, 'JobBlocked');
    expect(blocked.data['reason']).toEqual({ code: 'waiting_for_dependency', message: 'waiting for dependency job 1', jobIds: [1] });

    await builder.waitForRequest(1);
    await builder.started(1);
    await h.waitForStatus(1, 'Building');
    expect(builder.requests.map((request) => request.jobId)).toEqual([1]);
    await builder.succeeded(1);

    await builder.waitForRequest(2);
    expect(await h.eventTypes(2)).toEqual(['JobSubmitted', 'JobBlocked', 'JobQueued']);
  });

  it("cancels a job's dependants, with the reason, when the dependency fails", async () => {
    h = await startHarness();
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1');

    await h.submit(1);
    await h.submit(2, { dependsOn: [1] });
    await h.submit(3, { dependsOn: [2] });
    await h.waitForEvent(3, 'JobBlocked');
    await builder.waitForRequest(1);
    await builder.started(1);
    await builder.failed(1, 1, 'package', 'build_failed');

    const cancelled = await h.waitForEvent(2, 'JobCancelled');
    expect(cancelled.data['reason']).toMatchObject({ code: 'dependency_failed', jobIds: [1] });
    expect((await h.waitForEvent(3, 'JobCancelled')).data['reason']).toMatchObject({ code: 'dependency_failed', jobIds: [2] });
    expect((await h.readJob(1)).state.status).toBe('Failed');
  });

  it('records the mode a builder starts a build in, and the inputs its success reports', async () => {
    h = await startHarness();
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1');
    await h.submit(1);
    await builder.waitForRequest(1);
    await builder.started(1, 1, { mode: 'cross' });
    expect((await h.waitForEvent(1, 'BuildStarted')).data).toMatchObject({ builder: builder.name, mode: 'cross' });
    const inputs = {
      sourceFiles: [],
      sourceRevision: '0123456789abcdef0123456789abcdef01234567',
      sourceTreeSha256: 'e'.repeat(64),
      chroot: 'bookworm-amd64-cross-arm64.tar',
      chrootSha256: 'f'.repeat(64),
      backend: 'sbuild',
      backendVersion: 'sbuild (Debian sbuild) 0.85.0 (04 January 2023)',
      buildinfo: 'pkg1_1.0-1_arm64.buildinfo',
      mode: 'cross',
    };
    await builder.succeeded(1, 1, { inputs });
    expect((await h.waitForEvent(1, 'BuildSucceeded')).data).toMatchObject({ inputs });
  });

  it('registers how a builder serves each arch and what it cannot build, and registers it again when a chroot made while it runs changes that', async () => {
    h = await startHarness();
    await h.startScheduler();
    const builder = await h.builder('b1', { arches: ['amd64', 'arm64'] });
    const amd64 = { suite: 'bookworm', arch: 'amd64', mode: 'native', chroot: 'bookworm-amd64.tar' };
    const arm64 = { suite: 'bookworm', arch: 'arm64', mode: 'cross', chroot: 'bookworm-amd64-cross-arm64.tar' };
    const i386 = { suite: 'bookworm', arch: 'i386', reason: 'no chroot bookworm-i386.tar in /var/lib/tsbit-build/.cache/sbuild', fix: 'sudo services/builder/scripts/make-chroot.sh bookworm i386' };
    const registrations = async () => (await h.log.readStream(`builder-${builder.name}`)).filter((event) => event.type === 'BuilderRegistered');

    await builder.hello({ archSupport: [amd64, arm64], unavailable: [i386] });
    const [first] = await h.waitUntil('the builder registered', async () => ((await registrations()).length === 1 ? registrations() : undefined));
    expect(first?.data).toMatchObject({ arches: ['amd64', 'arm64'], archSupport: [amd64, arm64], unavailable: [i386] });

    // The same hello again is nothing new; the i386 chroot made since is.
    await builder.hello({ archSupport: [amd64, arm64], unavailable: [i386] });
    const i386Native = { suite: 'bookworm', arch: 'i386', mode: 'native', chroot: 'bookworm-i386.tar' };
    await builder.hello({ archSupport: [amd64, i386Native, arm64], unavailable: [] });
    const all = await h.waitUntil('the builder registered again', async () => {
      const found = await registrations();
      return found.length >= 2 ? found : undefined;
    });
    expect(all).toHaveLength(2);
    expect(all[1]?.data).toMatchObject({ archSupport: [amd64, i386Native, arm64], unavailable: [] });
    expect(h.scheduler.model.builder(builder.name)?.state).toMatchObject({ status: 'Online', capabilities: { archSupport: [amd64, i386Native, arm64], unavailable: [] } });
  });

  it('supersedes an older unfinished job of the same package instance as the log orders them, even one job-intake did not see', async () => {
    h = await startHarness();
    await h.startScheduler();
    await h.submit(1, { package: 'hello', version: '1.0-1' });
    await h.submit(2, { package: 'hello', version: '1.0-1', arch: 'arm64' });
    await h.submit(3, { package: 'hello', version: '1.1-1' });
    const cancelled = await h.waitForEvent(1, 'JobCancelled');
    expect(cancelled.data).toMatchObject({ cancelledBy: { kind: 'system', name: 'scheduler' }, reason: { code: 'superseded', message: 'superseded by job 3', jobIds: [3] } });
    // Another architecture is another instance; the newest job stays.
    await h.submit(4, { package: 'unrelated' });
    await h.waitUntil('job 4 judged', () => h.scheduler.model.job(4) !== undefined);
    expect((await h.readJob(2)).state.status).toBe('Waiting');
    expect((await h.readJob(3)).state.status).toBe('Waiting');
  });

  it('keeps a rebuild check pending while only the builder of its original is live, and dispatches it, naming that builder, when another says hello', async () => {
    h = await startHarness();
    await h.startScheduler();
    const b1 = await h.onlineBuilder('b1');

    await h.submit(2, { package: 'hello', version: '1.0-1', rebuildOf: 1, avoidBuilder: b1.name });
    // A newer submission of the package neither supersedes the check nor waits behind it.
    await h.submit(3, { package: 'hello', version: '1.1-1' });
    await b1.waitForRequest(3);
    expect(await h.eventTypes(2)).toEqual(['JobSubmitted']);
    expect(h.scheduler.model.pendingCount().get('deb.bookworm.amd64')).toBe(1);
    expect(b1.requests.map((request) => request.jobId)).toEqual([3]);

    const b2 = await h.onlineBuilder('b2');
    await h.waitForEvent(2, 'JobQueued');
    // Builders share the queue: either may receive it; b1 would hand it back (services/builder).
    const request = await h.waitUntil('the BuildRequest of job 2', () => [...b1.requests, ...b2.requests].find((received) => received.jobId === 2));
    expect(request.body).toMatchObject({ jobId: 2, attempt: 1, avoidBuilder: b1.name });
    expect((await h.readJob(2)).state.status).toBe('Waiting');
  });

  it('changes nothing when events and reports are delivered twice', async () => {
    h = await startHarness();
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1');
    await h.submit(1);
    await builder.waitForRequest(1);
    await builder.started(1);
    await builder.started(1);
    await h.waitForStatus(1, 'Building');

    // The relay's at-least-once delivery, played by hand: every event of the job again.
    for (const recorded of (await h.readJob(1)).events) {
      const message = toEventMessage(recorded);
      await h.broker.publish(h.names.events, `job.${recorded.type}`, message, { messageId: `${recorded.stream}:${recorded.version}` });
    }
    await builder.succeeded(1);
    await builder.succeeded(1);
    // A later event and report, to know that the duplicates before them were handled.
    await h.submit(2, { arch: 'arm64' });
    await h.waitUntil('job 2 pending', () => h.scheduler.model.pendingCount().get('deb.bookworm.arm64') === 1);
    await builder.heartbeat([]);
    await h.waitForStatus(1, 'Done');

    expect(await h.eventTypes(1)).toEqual(['JobSubmitted', 'JobQueued', 'BuildStarted', 'BuildSucceeded']);
    expect(builder.requests.map((request) => request.messageId)).toEqual(['job-1:1']);
  });

  it('expires the lease of a silent builder, queues the job again as attempt 2, and refuses what the old attempt reports', async () => {
    h = await startHarness({ heartbeatMs: 300 });
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1');
    await h.submit(1);
    await builder.waitForRequest(1);
    await builder.started(1);

    // No heartbeat: the lease runs out, the attempt is void, the builder is lost.
    const expired = await h.waitForEvent(1, 'LeaseExpired');
    expect(expired.data).toMatchObject({ attempt: 1, builder: builder.name });
    await h.waitUntil('the builder marked lost', async () => (await h.log.readStream(`builder-${builder.name}`)).some((event) => event.type === 'BuilderLost'));

    // It comes back with the old attempt's result: refused; it is known again and gets attempt 2.
    await builder.succeeded(1, 1);
    const second = await builder.waitForRequest(1, 2);
    expect(second.messageId).toBe('job-1:2');
    await builder.heartbeat([{ jobId: 1, attempt: 1 }]);
    await builder.waitForCancel(1, 1);
    await builder.started(1, 1);
    await h.waitUntil('a second cancel, for the refused Started', () => builder.controls.filter((control) => control.cancel?.jobId === 1 && control.cancel.attempt === 1).length === 2);
    expect(await h.eventTypes(1)).toEqual(['JobSubmitted', 'JobQueued', 'BuildStarted', 'LeaseExpired', 'JobQueued']);
    expect((await h.readJob(1)).state).toMatchObject({ status: 'Waiting', attempt: 2, queued: true });
  });

  it('tells the builder of a building job to stop when it is cancelled, and ends it Cancelled on its confirmation', async () => {
    h = await startHarness();
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1');
    await h.submit(1);
    await builder.waitForRequest(1);
    await builder.started(1);
    await h.waitForStatus(1, 'Building');

    await h.jobCommand(1, { type: 'CancelJob', by: ADMIN, reason: { code: 'cancelled_by_user', message: 'not needed', jobIds: [] }, at: now() });
    await builder.waitForCancel(1, 1);
    expect((await h.readJob(1)).state.status).toBe('Cancelling');
    await builder.cancelled(1, 1);

    const state = await h.waitForStatus(1, 'Cancelled');
    expect(state).toMatchObject({ reason: { code: 'cancelled_by_user' } });
  });

  it("gives the next free slot to another project's job ahead of 5,000 pending jobs of a mass rebuild", async () => {
    h = await startHarness();
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1');
    const mass = Array.from({ length: 5000 }, (_, index) => index + 1);
    await h.submitMany(mass, { project: 'mass' });
    await builder.waitForRequest(1);
    await h.submit(10_000, { project: 'alice' });
    await h.waitUntil('every job judged', () => h.scheduler.model.pendingCount().get('deb.bookworm.amd64') === 5000);

    await builder.started(1);
    await builder.succeeded(1);

    const next = await h.waitUntil('a second BuildRequest', () => builder.requests[1]);
    expect(next.jobId).toBe(10_000);
  });

  it('retries an infrastructure failure by itself', async () => {
    h = await startHarness();
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1');
    await h.submit(1);
    await builder.waitForRequest(1);
    await builder.started(1);
    await builder.failed(1, 1, 'infrastructure', 'disk_full', 'No space left on device');

    expect((await builder.waitForRequest(1, 2)).messageId).toBe('job-1:2');
    expect(await h.eventTypes(1)).toEqual(['JobSubmitted', 'JobQueued', 'BuildStarted', 'BuildFailed', 'JobRetried', 'JobQueued']);
  });

  it('blocks a job whose build dependencies are not installable yet, and queues it again after the back-off', async () => {
    h = await startHarness({ dependencyWaitBackoffMs: 200 });
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1');
    await h.submit(1);
    await builder.waitForRequest(1);
    await builder.started(1);
    await builder.failed(1, 1, 'package', 'dependency_wait', 'libfoo-dev is not installable');

    const blocked = await h.waitForEvent(1, 'JobBlocked');
    expect(blocked.data['reason']).toMatchObject({ code: 'dependency_wait' });
    await builder.waitForRequest(1, 2);
    expect(await h.eventTypes(1)).toEqual(['JobSubmitted', 'JobQueued', 'BuildStarted', 'BuildFailed', 'JobRetried', 'JobBlocked', 'JobQueued']);
    const failed = (await h.readJob(1)).events.find((event) => event.type === 'BuildFailed');
    expect(failed?.data).toMatchObject({ failureClass: 'infrastructure', reason: { code: 'dependency_wait' } });
  });

  it('queues a job in dependency wait again as soon as the farm publishes a package it found missing, long before its back-off', async () => {
    h = await startHarness({ dependencyWaitBackoffMs: 10 * 60_000 });
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1');
    await h.submit(1);
    await builder.waitForRequest(1);
    await builder.started(1);
    await builder.failed(1, 1, 'package', 'dependency_wait', 'dpkg-checkbuilddeps: error: Unmet build dependencies: pkg2 (>= 1.0) libother-dev');
    const blocked = await h.waitForEvent(1, 'JobBlocked');
    expect(blocked.data['reason']).toMatchObject({ code: 'dependency_wait', message: expect.stringContaining('as soon as the farm builds pkg2 or libother-dev') });

    await h.submit(2, { package: 'pkg2' });
    await builder.waitForRequest(2);
    await builder.started(2);
    await builder.succeeded(2);
    await h.waitForStatus(2, 'Done');
    // What the artifact service records once pkg2 is in bookworm's repository.
    const published: PackagePublished = {
      type: 'PackagePublished',
      data: { jobId: 2, attempt: 1, suite: 'bookworm', format: 'deb', arch: 'amd64', repository: '/repos/deb', packages: [{ name: 'pkg2', version: '1.0', arch: 'amd64', filename: 'pool/main/p/pkg2/pkg2_1.0_amd64.deb' }], publishedAt: now() },
    };
    await h.log.append(publicationStreamId(2), [serializeEvent(published)], 'no_stream');
    const second = await builder.waitForRequest(1, 2);
    expect(second.messageId).toBe('job-1:2');
    expect(await h.eventTypes(1)).toEqual(['JobSubmitted', 'JobQueued', 'BuildStarted', 'BuildFailed', 'JobRetried', 'JobBlocked', 'JobQueued']);
  });

  it('gives a paused builder no new work until it is resumed, and takes back a request it took while paused', async () => {
    h = await startHarness();
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1');
    await h.submit(1);
    await builder.waitForRequest(1);
    await h.builderCommand(builder.name, { type: 'PauseBuilder', name: builder.name, by: 'admin', at: now() });
    await h.waitUntil('the builder paused', () => h.scheduler.model.builder(builder.name)?.state.status === 'Paused');
    const drains = () => builder.controls.flatMap((control) => (control.drain ? [control.drain.drained] : []));
    await h.waitUntil('the builder told it is drained', () => drains().length === 1);
    expect(drains()).toEqual([true]);
    // Restarted while drained, it is told again when it says hello.
    await builder.hello();
    await h.waitUntil('the drain repeated on hello', () => drains().length === 2);
    expect(drains()).toEqual([true, true]);

    // It took a request before it learnt of its pause: told to stop, no build recorded.
    await builder.started(1);
    await builder.waitForCancel(1, 1);
    await h.submit(2);
    await h.waitUntil('job 2 pending', () => h.scheduler.model.pendingCount().get('deb.bookworm.amd64') === 1);
    expect(await h.eventTypes(1)).toEqual(['JobSubmitted', 'JobQueued']);
    expect(await h.eventTypes(2)).toEqual(['JobSubmitted']);

    await h.builderCommand(builder.name, { type: 'ResumeBuilder', name: builder.name, by: 'admin', at: now() });
    await h.waitUntil('the builder told it is released', () => drains().length === 3);
    expect(drains()).toEqual([true, true, false]);
    await h.waitUntil('job 1 requested again', () => builder.requests.filter((request) => request.messageId === 'job-1:1').length === 2);
    await builder.started(1);
    await builder.succeeded(1);
    await builder.waitForRequest(2);
  });

  it('dead-letters a malformed report and acks a refused one', async () => {
    h = await startHarness();
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1');
    await builder.raw({ builder: builder.name, started: { jobId: 'seven' } });
    await builder.raw({ builder: builder.name });
    // Refused by the decider (no such job): logged and acked, not dead-lettered.
    await builder.succeeded(99);
    await builder.heartbeat([]);

    const letters: { reason: unknown }[] = [];
    await h.waitUntil('two dead letters', async () => {
      letters.push(...(await h.deadLetters()));
      return letters.length >= 2;
    });
    expect(letters.map((letter) => String(letter.reason))).toEqual([
      expect.stringMatching(/^BuilderReport\.\(body\)/),
      expect.stringMatching(/^BuilderReport\.report: must be exactly one of/),
    ]);
    expect(await h.eventTypes(99)).toEqual([]);
  });

  it('rebuilds its state from the log after a restart and ignores what it has folded', async () => {
    h = await startHarness();
    await h.startScheduler();
    const builder = await h.onlineBuilder('b1');
    await h.submit(1);
    await builder.waitForRequest(1);
    await builder.started(1);
    await h.waitForStatus(1, 'Building');
    await h.submit(2);
    await h.submit(3, { dependsOn: [1] });
    await h.waitForEvent(3, 'JobBlocked');
    await h.waitUntil('job 2 pending', () => h.scheduler.model.pendingCount().get('deb.bookworm.amd64') === 1);
    await h.stopScheduler();

    // While no scheduler runs: the builder heartbeats, and another job is submitted.
    await builder.heartbeat([{ jobId: 1, attempt: 1 }]);
    await h.submit(4);
    const restarted = await h.startScheduler();
    expect(restarted.model.building()).toEqual([{ jobId: 1, attempt: 1, builder: builder.name }]);
    expect(restarted.model.builder(builder.name)?.state.status).toBe('Online');
    await builder.succeeded(1);

    // A relay that starts over from position 0 sends the whole log again.
    const replay = await h.startRelayFrom('replay');
    const head = await h.log.headPosition();
    await h.waitUntil('the replay to reach the head', async () => (await replay.checkpoint()) >= head);

    await h.waitForStatus(1, 'Done');
    await builder.waitForRequest(2);
    await builder.started(2);
    await builder.succeeded(2);
    await builder.waitForRequest(3);
    await builder.started(3);
    await builder.succeeded(3);
    await builder.waitForRequest(4);

    expect(await h.eventTypes(1)).toEqual(['JobSubmitted', 'JobQueued', 'BuildStarted', 'BuildSucceeded']);
    expect(await h.eventTypes(2)).toEqual(['JobSubmitted', 'JobQueued', 'BuildStarted', 'BuildSucceeded']);
    expect(await h.eventTypes(3)).toEqual(['JobSubmitted', 'JobBlocked', 'JobQueued', 'BuildStarted', 'BuildSucceeded']);
    expect(await h.eventTypes(4)).toEqual(['JobSubmitted', 'JobQueued']);
    expect(builder.requests.map((request) => request.messageId)).toEqual(['job-1:1', 'job-2:1', 'job-3:1', 'job-4:1']);
  });
});
