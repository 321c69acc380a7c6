import { randomBytes } from 'node:crypto';
import { waitFor } from '@tsbit/service-kit';
import { stopService } from './processes';
import { makeDebianPackageRepository } from './fixtures';
import { isFinished, startTestFarm, type TestFarm } from './testing';

const HEARTBEAT_MS = 1000;

/**
 * The job rules that need the whole farm: dependency chains, a cancel reaching a running build,
 * builders that die or stop mid-build, and fair sharing. One builder with one slot unless a test
 * starts more, so that the order of builds is the farm's choice, not chance.
 */
describe('jobs through the whole farm', () => {
  const id = randomBytes(3).toString('hex');
  let farm: TestFarm;

  beforeAll(async () => {
    // A dependency wait's back-off longer than any test: only a build of what is missing ends one.
    // The job domain is under test here, not the build: the native fast path keeps each build at a second.
    farm = await startTestFarm({ builders: ['builder-a'], heartbeatMs: HEARTBEAT_MS, dependencyWaitBackoffMs: 60 * 60_000, builderBackend: 'native' });
  }, 120_000);
  afterAll(async () => farm?.close());

  /** The scheduler's count of builder reports of a kind that the job decider refused. */
  const refusedReports = async (report: string): Promise<number> => {
    const metrics = await (await fetch(`http://127.0.0.1:${farm.farm.ports.get('scheduler')}/metrics`)).text();
    const line = metrics.split('\n').find((candidate) => candidate.startsWith(`tsbit_reports_refused_total{report="${report}"}`));
    return Number(line?.split(' ').pop() ?? 0);
  };

  it('blocks a job on its dependency, then builds it by itself once the dependency is Done', async () => {
    const library = makeDebianPackageRepository({ package: `libdep-${id}`, buildSeconds: 2 });
    const application = makeDebianPackageRepository({ package: `app-${id}` });
    const first = await farm.submit({ package: library.package, version: '1.0', url: library.url });
    const second = await farm.submit({ package: application.package, version: '1.0', url: application.url, dependsOn: [first.id] });

    const blocked = await farm.waitForJob(second.id, 'to be Blocked', (job) => job.status === 'Blocked');
    expect(blocked.reason).toMatchObject({ code: 'waiting_for_dependency', jobIds: [first.id] });

    const done = await farm.waitForJob(second.id, 'to finish', isFinished);
    expect(done.status).toBe('Done');
    const libraryDone = await farm.job(first.id);
    const libraryFinishedAt = Date.parse(libraryDone.history.find((step) => step.status === 'Done')?.at ?? '');
    const applicationStartedAt = Date.parse(done.history.find((step) => step.status === 'Building')?.at ?? '');
    expect(applicationStartedAt).toBeGreaterThanOrEqual(libraryFinishedAt);
  });

  it('does not build a job whose dependency failed, and says why', async () => {
    const broken = makeDebianPackageRepository({ package: `libbroken-${id}`, broken: true });
    const dependant = makeDebianPackageRepository({ package: `user-${id}` });
    const first = await farm.submit({ package: broken.package, version: '1.0', url: broken.url });
    const second = await farm.submit({ package: dependant.package, version: '1.0', url: dependant.url, dependsOn: [first.id] });
    const cancelled = await farm.waitForJob(second.id, 'to end', isFinished);
    expect(cancelled.status).toBe('Cancelled');
    expect(cancelled.reason).toMatchObject({ code: 'dependency_failed', jobIds: [first.id] });
  });

  it('holds a build whose build dependencies are missing (dep-wait), and tries it again as soon as the farm builds one', async () => {
    const missing = `libmissing-${id}`;
    const needy = makeDebianPackageRepository({ package: `needy-${id}`, buildDepends: [`${missing} (>= 1.0)`] });
    const job = await farm.submit({ package: needy.package, version: '1.0', url: needy.url });
    const waiting = await farm.waitForJob(job.id, 'to wait for its build dependencies', (current) => current.status === 'Blocked');
    expect(waiting.reason).toMatchObject({ code: 'dependency_wait', message: expect.stringContaining(`as soon as the farm builds ${missing}`) });
    expect(waiting.history.map((step) => step.event)).toEqual(['JobSubmitted', 'JobQueued', 'BuildStarted', 'BuildFailed', 'JobRetried', 'JobBlocked']);

    const provider = makeDebianPackageRepository({ package: missing });
    const built = await farm.submit({ package: provider.package, version: '1.0', url: provider.url });
    await farm.waitForJob(built.id, 'to be Done', (current) => current.status === 'Done');
    // The back-off is an hour: what ends the wait is the build, not the clock.
    const again = await farm.waitForJob(job.id, 'to be tried again', (current) => current.history.filter((step) => step.event === 'BuildStarted').length === 2);
    expect(again.attempt).toBe(2);
    // This farm's builders install nothing from the farm, so the second try waits again; enough.
    expect((await farm.post(`/job/${job.id}/cancel`)).status).toBeLessThan(300);
    await farm.waitForJob(job.id, 'to be Cancelled', (current) => current.status === 'Cancelled');
  });

  it('stops a running build within seconds when the job is cancelled', async () => {
    const endless = makeDebianPackageRepository({ package: `endless-${id}`, buildSeconds: 300 });
    const job = await farm.submit({ package: endless.package, version: '1.0', url: endless.url });
    await farm.waitForJob(job.id, 'to be Building', (current) => current.status === 'Building');
    const response = await farm.post(`/job/${job.id}/cancel`);
    expect(response.status).toBe(202);
    const cancelled = await farm.waitForJob(job.id, 'to be Cancelled', (current) => current.status === 'Cancelled', 20_000);
    expect(cancelled.history.map((step) => step.status)).toContain('Cancelling');
    expect(cancelled.artifacts.some((artifact) => artifact.kind === 'log')).toBe(true);
  });

  it('gives the job of a builder killed mid-build to another builder within two heartbeats', async () => {
    const slow = makeDebianPackageRepository({ package: `slow-${id}`, buildSeconds: 4 });
    const job = await farm.submit({ package: slow.package, version: '1.0', url: slow.url });
    const building = await farm.waitForJob(job.id, 'to be Building', (current) => current.status === 'Building');
    const victim = farm.farm.services.get(building.builder ?? '');
    expect(victim).toBeDefined();
    const killedAt = Date.now();
    await stopService(victim!, 'SIGKILL');
    const requeued = await farm.waitForJob(job.id, 'to leave Building', (current) => current.status !== 'Building', 10_000);
    expect(Date.now() - killedAt).toBeLessThan(2 * HEARTBEAT_MS + 1500);
    expect(requeued.history.some((step) => step.event === 'LeaseExpired')).toBe(true);

    await farm.farm.startBuilder('builder-b');
    const done = await farm.waitForJob(job.id, 'to finish', isFinished);
    expect(done).toMatchObject({ status: 'Done', builder: 'builder-b', attempt: 2 });
  });

  it('retries by itself a build lost to an infrastructure failure (a builder shut down mid-build)', async () => {
    const slow = makeDebianPackageRepository({ package: `handback-${id}`, buildSeconds: 4 });
    const job = await farm.submit({ package: slow.package, version: '1.0', url: slow.url });
    const building = await farm.waitForJob(job.id, 'to be Building', (current) => current.status === 'Building');
    await stopService(farm.farm.services.get(building.builder ?? '')!, 'SIGTERM');
    const failed = await farm.waitForJob(job.id, 'to be handed back', (current) => current.history.some((step) => step.event === 'BuildFailed'));
    expect(failed.history.some((step) => step.event === 'JobRetried')).toBe(true);

    await farm.farm.startBuilder('builder-c');
    const done = await farm.waitForJob(job.id, 'to finish', isFinished);
    expect(done).toMatchObject({ status: 'Done', builder: 'builder-c' });
    expect(done.attempt).toBeGreaterThan(building.attempt);
  });

  it('starts an urgent build before a mass rebuild queued ahead of it', async () => {
    const repository = makeDebianPackageRepository({ package: `mass-${id}` });
    const mass = [];
    for (let index = 0; index < 12; index += 1) {
      // Distinct package names: a newer version of the same package would supersede the older jobs.
      mass.push(await farm.submit({ package: `mass${index}-${id}`, version: '1.0', url: repository.url, project: 'mass' }));
    }
    const urgentRepository = makeDebianPackageRepository({ package: `urgent-${id}` });
    const urgent = await farm.submit({ package: urgentRepository.package, version: '1.0', url: urgentRepository.url, project: 'alice' });
    const urgentDone = await farm.waitForJob(urgent.id, 'to finish', isFinished);
    const urgentStarted = Date.parse(urgentDone.history.find((step) => step.status === 'Building')?.at ?? '');

    const massStarts = await Promise.all(
      mass.map(async (job) => {
        const current = await farm.waitForJob(job.id, 'to finish', isFinished);
        return Date.parse(current.history.find((step) => step.status === 'Building')?.at ?? '');
      }),
    );
    // One build slot: at most the mass build already running, and the one already handed to the
    // builder, may start before the urgent job; every other mass build starts after it.
    expect(massStarts.filter((startedAt) => startedAt < urgentStarted).length).toBeLessThanOrEqual(2);
  });

  it("refuses what a builder frozen past its lease says later about its void attempt, while the next attempt completes elsewhere", async () => {
    const slow = makeDebianPackageRepository({ package: `frozen-${id}`, buildSeconds: 3 });
    const job = await farm.submit({ package: slow.package, version: '1.0', url: slow.url });
    const building = await farm.waitForJob(job.id, 'to be Building', (current) => current.status === 'Building');
    const frozen = farm.farm.services.get(building.builder ?? '')!;
    // SIGSTOP freezes the builder (no heartbeats) but not its build, which goes on and ends.
    frozen.child.kill('SIGSTOP');
    let thawed = false;
    try {
      await farm.waitForJob(job.id, 'to lose its lease', (current) => current.history.some((step) => step.event === 'LeaseExpired'));

      await farm.farm.startBuilder('builder-thaw');
      const done = await farm.waitForJob(job.id, 'to finish', isFinished);
      expect(done).toMatchObject({ status: 'Done', builder: 'builder-thaw', attempt: building.attempt + 1 });

      // Its uploads are refused (409: the attempt's lease is over), so it may report the attempt
      // failed rather than succeeded, or answer the cancel the scheduler sends it: each is refused.
      const lateReports = async (): Promise<number> =>
        (await refusedReports('succeeded')) + (await refusedReports('failed')) + (await refusedReports('cancelled'));
      const refusedBefore = await lateReports();
      frozen.child.kill('SIGCONT');
      thawed = true;
      // It wakes up, finds its build of the void attempt finished and reports it: refused.
      await waitFor('the late report to be refused', async () => (await lateReports()) > refusedBefore, { timeoutMs: 30_000, intervalMs: 100 });
      const after = await farm.job(job.id);
      expect(after).toMatchObject({ status: 'Done', builder: 'builder-thaw', attempt: building.attempt + 1 });
      expect(after.history.filter((step) => step.event === 'BuildSucceeded').map((step) => step.attempt)).toEqual([building.attempt + 1]);
      // Nothing of the void attempt was stored: every artifact is the current attempt's.
      expect(after.artifacts.map((artifact) => artifact.attempt)).toEqual(after.artifacts.map(() => building.attempt + 1));
    } finally {
      if (!thawed) frozen.child.kill('SIGCONT');
    }
  });
});
