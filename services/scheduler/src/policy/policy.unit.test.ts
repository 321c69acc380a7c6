import type { PendingJob } from '@tsbit/domain';
import { buildPriority, buildRequestFor, buildRequestId } from './build-request';
import { planDispatch, rebuildCheckCanGo } from './dispatch-plan';
import { classifyFailure, dependencyWaitBackoffMs, MAX_DEPENDENCY_WAIT_BACKOFF_MS, missingBuildDependencies, publishedPackages } from './failures';
import { dependencyStatus, shouldStopRunning, type RunningView } from './job-views';
import { LeaseBook, leaseTiming } from './leases';

const job = (jobId: number, project = 'alice', priority = 0): PendingJob => ({ jobId, priority, project, sequence: jobId });

describe('dispatch planning', () => {
  it('gives no builder more jobs than its free slots, spreading over builders that serve the same keys', () => {
    const pending = new Map([['deb.bookworm.amd64', [job(1), job(2), job(3)]]]);
    const plan = planDispatch(
      [
        { builder: 'b1', free: 1, keys: ['deb.bookworm.amd64'] },
        { builder: 'b2', free: 1, keys: ['deb.bookworm.amd64'] },
      ],
      pending,
      new Map(),
      new Map(),
    );
    expect(plan).toEqual([
      { jobId: 1, routingKey: 'deb.bookworm.amd64', builder: 'b1' },
      { jobId: 2, routingKey: 'deb.bookworm.amd64', builder: 'b2' },
    ]);
  });

  it('lets the builder that serves fewer keys choose first, so the other takes what only it can', () => {
    const pending = new Map([
      ['deb.bookworm.amd64', [job(1, 'a', 5)]],
      ['deb.bookworm.i386', [job(2)]],
    ]);
    const plan = planDispatch(
      [
        { builder: 'wide', free: 1, keys: ['deb.bookworm.amd64', 'deb.bookworm.i386'] },
        { builder: 'narrow', free: 1, keys: ['deb.bookworm.amd64'] },
      ],
      pending,
      new Map(),
      new Map(),
    );
    expect(plan).toEqual([
      { jobId: 1, routingKey: 'deb.bookworm.amd64', builder: 'narrow' },
      { jobId: 2, routingKey: 'deb.bookworm.i386', builder: 'wide' },
    ]);
  });

  it("puts an urgent job of another project ahead of a mass rebuild's 5,000 jobs", () => {
    const mass = Array.from({ length: 5000 }, (_, n) => job(n + 1, 'mass'));
    const plan = planDispatch([{ builder: 'b1', free: 1, keys: ['k'] }], new Map([['k', [...mass, job(9999, 'alice', 0)]]]), new Map([['mass', 1]]), new Map([['mass', 40]]));
    expect(plan.map((assignment) => assignment.jobId)).toEqual([9999]);
  });

  it('plans nothing without free slots or without pending jobs for the keys served', () => {
    expect(planDispatch([{ builder: 'b1', free: 0, keys: ['k'] }], new Map([['k', [job(1)]]]), new Map(), new Map())).toEqual([]);
    expect(planDispatch([{ builder: 'b1', free: 2, keys: ['other'] }], new Map([['k', [job(1)]]]), new Map(), new Map())).toEqual([]);
  });
});

describe('rebuild checks', () => {
  const key = 'deb.bookworm.amd64';
  const offer = (builder: string, free = 1) => ({ builder, free, keys: [key] });

  it('given only the builder of the original with a free slot, when planning, then the check waits and the slot goes to the next job', () => {
    const plan = planDispatch([offer('b1')], new Map([[key, [job(1), job(2)]]]), new Map(), new Map(), new Map([[1, 'b1']]));
    expect(plan).toEqual([{ jobId: 2, routingKey: key, builder: 'b1' }]);
  });

  it("given another builder with a free slot, when planning, then the check is counted against that builder's slot", () => {
    const plan = planDispatch([offer('b1'), offer('b2')], new Map([[key, [job(1)]]]), new Map(), new Map(), new Map([[1, 'b1']]));
    expect(plan).toEqual([{ jobId: 1, routingKey: key, builder: 'b2' }]);
  });

  it('given two checks of originals built on different builders, when planning, then each goes to the other builder', () => {
    const plan = planDispatch([offer('b1'), offer('b2')], new Map([[key, [job(1), job(2)]]]), new Map(), new Map(), new Map([[1, 'b1'], [2, 'b2']]));
    expect(plan).toEqual([
      { jobId: 1, routingKey: key, builder: 'b2' },
      { jobId: 2, routingKey: key, builder: 'b1' },
    ]);
  });

  it('given only the avoided builder alive, the request is not sent; given another, it is', () => {
    expect(rebuildCheckCanGo('b1', ['b1'])).toBe(false);
    expect(rebuildCheckCanGo('b1', [])).toBe(false);
    expect(rebuildCheckCanGo('b1', ['b1', 'b2'])).toBe(true);
    expect(rebuildCheckCanGo('', ['b1'])).toBe(true);
  });
});

describe('leases', () => {
  it('last one and a half heartbeats and are checked every quarter, so a dead build is noticed within two', () => {
    const { leaseMs, checkEveryMs } = leaseTiming(4000);
    expect(leaseMs).toBe(6000);
    expect(checkEveryMs).toBe(1000);
    expect(leaseMs + checkEveryMs).toBeLessThan(2 * 4000);
  });

  it('refuses a heartbeat interval that is not positive', () => expect(() => leaseTiming(0)).toThrow(/heartbeatMs/));

  it('are renewed only by the builder of the attempt, and expire without renewal', () => {
    const book = new LeaseBook(1000);
    book.grant({ jobId: 1, attempt: 2, builder: 'b1' }, 0);
    expect(book.renew('b2', 1, 2, 500)).toBe(false);
    expect(book.renew('b1', 1, 1, 500)).toBe(false);
    expect(book.renew('b1', 1, 2, 500)).toBe(true);
    expect(book.expired(1499)).toEqual([]);
    expect(book.expired(1500)).toEqual([{ jobId: 1, attempt: 2, builder: 'b1', expiresAt: 1500 }]);
  });

  it('give what builds a fresh lease and drop the ones on what no longer builds', () => {
    const book = new LeaseBook(1000);
    book.grant({ jobId: 1, attempt: 1, builder: 'b1' }, 0);
    book.grant({ jobId: 2, attempt: 1, builder: 'b1' }, 0);
    book.reconcile([{ jobId: 2, attempt: 1, builder: 'b1' }, { jobId: 3, attempt: 4, builder: 'b2' }], 700);
    expect(book.get(1)).toBeUndefined();
    expect(book.get(2)?.expiresAt).toBe(1000);
    expect(book.get(3)?.expiresAt).toBe(1700);
  });
});

describe('failures reported by builders', () => {
  it('records a dependency wait as an infrastructure failure, to try again once its dependencies can be installed', () => {
    expect(classifyFailure({ failureClass: 'package', code: 'dependency_wait', message: 'libfoo-dev (>= 2) not installable' })).toEqual({
      failureClass: 'infrastructure',
      reason: { code: 'dependency_wait', message: 'dependency_wait: libfoo-dev (>= 2) not installable', jobIds: [] },
      dependencyWait: true,
    });
  });

  it('keeps the class of other failures', () => {
    expect(classifyFailure({ failureClass: 'package', code: 'build_failed', message: 'make: *** [all] Error 2' })).toMatchObject({ failureClass: 'package', reason: { code: 'package_failure' }, dependencyWait: false });
    expect(classifyFailure({ failureClass: 'infrastructure', code: 'disk_full', message: '' })).toMatchObject({ failureClass: 'infrastructure', reason: { code: 'infrastructure_failure', message: 'disk_full' } });
  });

  it('doubles the dependency-wait back-off with each wait, up to a cap', () => {
    expect([1, 2, 3].map((retries) => dependencyWaitBackoffMs(60_000, retries))).toEqual([60_000, 120_000, 240_000]);
    expect(dependencyWaitBackoffMs(60_000, 40)).toBe(MAX_DEPENDENCY_WAIT_BACKOFF_MS);
  });

  it("reads the missing packages from dpkg-checkbuilddeps' message, without versions, architectures or profiles", () => {
    expect(
      missingBuildDependencies('dpkg-checkbuilddeps: error: Unmet build dependencies: libfoo-dev (>= 1.2) libbar-dev:any | libbaz-dev [amd64] tool <!nocheck> / dpkg-buildpackage: error: build dependencies/conflicts unsatisfied'),
    ).toEqual(['libfoo-dev', 'libbar-dev', 'libbaz-dev', 'tool']);
  });

  it("reads them from rpmbuild's message, and finds none in a message that names none", () => {
    expect(missingBuildDependencies('error: Failed build dependencies: / foo-devel >= 1.0 is needed by hello-1-1.x86_64 / bar is needed by hello-1-1.x86_64')).toEqual(['foo-devel', 'bar']);
    expect(missingBuildDependencies('Status: dep-wait')).toEqual([]);
  });

  it('counts as installable what a publication put into the repository, each name once', () => {
    const published = (name: string, arch: string) => ({ name, version: '1.2-1', arch, filename: `pool/main/f/foo/${name}_1.2-1_${arch}.deb` });
    expect(publishedPackages([published('libfoo1', 'amd64'), published('libfoo-dev', 'amd64'), published('foo', 'source'), published('libfoo1', 'i386')])).toEqual(['libfoo1', 'libfoo-dev', 'foo']);
  });
});

describe('BuildRequests', () => {
  it('map job priorities -10..10 onto AMQP priorities 0..10', () => {
    expect([-10, -5, 0, 5, 10].map(buildPriority)).toEqual([0, 0, 5, 10, 10]);
  });
  it('carry one message id per attempt', () => expect(buildRequestId(12, 3)).toBe('job-12:3'));
  it("carry the suite's keyrings and whether lintian runs", () => {
    const job = { jobId: 4, package: 'hello', version: '2.10-3', suite: 'bookworm', dist: 'debian', arch: 'amd64', format: 'deb', env: '', source: { method: 'apt', url: '', ref: '' }, buildArchIndep: true } as never;
    expect(buildRequestFor(job, 2, '2026-11-24T10:00:00Z', { keyrings: ['/k.gpg'], skipSignatureCheck: false, runLintian: false })).toMatchObject({
      jobId: 4,
      attempt: 2,
      keyrings: ['/k.gpg'],
      skipSignatureCheck: false,
      runLintian: false,
      avoidBuilder: '',
    });
  });
  it('name the builder a rebuild check must not be built on', () => {
    const job = { jobId: 5, package: 'hello', version: '2.10-3', suite: 'bookworm', dist: 'debian', arch: 'amd64', format: 'deb', env: '', source: { method: 'git', url: 'u', ref: 'abc' }, buildArchIndep: true, rebuildOf: 4, avoidBuilder: 'b1' } as never;
    expect(buildRequestFor(job, 1, '2026-11-24T10:00:00Z', { keyrings: [], skipSignatureCheck: false, runLintian: false })).toMatchObject({ jobId: 5, avoidBuilder: 'b1' });
  });
});

describe('dependencies as the scheduler judges them', () => {
  const submitted = { jobId: 1 } as never;
  const known = { job: submitted, attempt: 1, queued: false, infrastructureRetries: 0, dependencyWaits: 0, reason: null };
  it('count a job deleted before it finished as missing, and a deleted finished one as it finished', () => {
    expect(dependencyStatus({ ...known, status: 'Deleted', previous: 'Waiting' })).toBeUndefined();
    expect(dependencyStatus({ ...known, status: 'Deleted', previous: 'Done' })).toBe('Done');
    expect(dependencyStatus({ status: 'Initial' })).toBeUndefined();
    expect(dependencyStatus({ ...known, status: 'Blocked' })).toBe('Blocked');
  });
});

describe('what a heartbeat says a builder runs', () => {
  const view = (change: Partial<RunningView>): RunningView => ({ status: 'Building', attempt: 2, queued: true, builder: 'b1', reasonCode: undefined, ...change });
  it('is left alone when it is the current attempt on that builder, or has just finished', () => {
    expect(shouldStopRunning(view({}), 'b1', 2)).toBe(false);
    expect(shouldStopRunning(view({ status: 'Done' }), 'b1', 2)).toBe(false);
    expect(shouldStopRunning(undefined, 'b1', 2)).toBe(false);
  });
  it('is stopped when the attempt is void, belongs to another builder, or the job is being cancelled', () => {
    expect(shouldStopRunning(view({ attempt: 3, status: 'Waiting' }), 'b1', 2)).toBe(true);
    expect(shouldStopRunning(view({ status: 'Waiting', queued: false, reasonCode: 'lease_expired' }), 'b1', 2)).toBe(true);
    expect(shouldStopRunning(view({ builder: 'b2' }), 'b1', 2)).toBe(true);
    expect(shouldStopRunning(view({ status: 'Cancelling' }), 'b1', 2)).toBe(true);
  });
});
