import type { Actor, JobEvent, JobSubmitted } from '../events';
import { deciderSpec } from '../testing/given-when-then';
import { jobDecider, MAX_INFRASTRUCTURE_RETRIES, reason } from './decider';
import type { SubmitJob } from './commands';

const at = '2026-11-24T10:00:00.000Z';
const alice: Actor = { kind: 'user', name: 'alice' };
const spec = deciderSpec(jobDecider);

const job: SubmitJob['job'] = {
  jobId: 1,
  package: 'hello',
  version: '2.10-3',
  suite: 'bookworm',
  dist: 'debian',
  arch: 'amd64',
  format: 'deb',
  env: '',
  source: { method: 'git', url: 'https://salsa.debian.org/debian/hello.git', ref: 'debian/2.10-3' },
  priority: 0,
  project: 'alice',
  dependsOn: [],
  buildArchIndep: true,
  submittedBy: alice,
  retryOf: 0,
};
const submitted: JobSubmitted = { type: 'JobSubmitted', data: { ...job, submittedAt: at } };
const queued = (attempt: number): JobEvent => ({ type: 'JobQueued', data: { jobId: 1, attempt, routingKey: 'deb.bookworm.amd64', queuedAt: at } });
const started = (attempt: number, builder = 'b1'): JobEvent => ({ type: 'BuildStarted', data: { jobId: 1, attempt, builder, startedAt: at, mode: '' } });
const failedWith = (failureClass: 'package' | 'infrastructure', attempt = 1): JobEvent => ({
  type: 'BuildFailed',
  data: { jobId: 1, attempt, builder: 'b1', failureClass, reason: reason(failureClass === 'package' ? 'package_failure' : 'infrastructure_failure', 'x'), artifacts: [], finishedAt: at },
});

describe('the job decider', () => {
  describe('submitting', () => {
    it('records a valid submission', () => spec.given([]).when({ type: 'SubmitJob', job, at }).then([submitted]));

    it.each([
      ['package', { package: 'Hello World' }],
      ['version', { version: 'v1 beta' }],
      ['source.url', { source: { method: 'git', url: '--upload-pack=evil', ref: 'main' } }],
      ['source.ref', { source: { method: 'git', url: 'https://example.org/x.git', ref: '-x' } }],
      ['source.method', { source: { method: 'cvs', url: 'https://example.org/x', ref: '' } }],
      ['source.url', { source: { method: 'git', url: '', ref: 'main' } }],
      ['source.url', { source: { method: 'apt', url: 'ftp://ftp.example.org/debian', ref: '' } }],
      ['priority', { priority: 11 }],
      ['dependsOn', { dependsOn: [1] }],
      ['arch', { arch: 'amd64.evil' }],
    ])('refuses a bad %s, naming the field', (field, change) =>
      spec.given([]).when({ type: 'SubmitJob', job: { ...job, ...change } as SubmitJob['job'], at }).thenThrows({ kind: 'validation', field }));

    it("takes an apt source without a URL: it comes from the builders' archives", () => {
      const apt = { ...job, source: { method: 'apt' as const, url: '', ref: '2.10-3' } };
      spec.given([]).when({ type: 'SubmitJob', job: apt, at }).then([{ type: 'JobSubmitted', data: { ...apt, submittedAt: at } }]);
    });

    it('takes a repeated identical submission as done already', () => spec.given([submitted]).when({ type: 'SubmitJob', job, at: '2026-11-24T11:00:00Z' }).then([]));
    it('takes a repeated submission as done when the log has the fields it left out at their defaults', () =>
      spec.given([{ type: 'JobSubmitted', data: { ...submitted.data, rebuildOf: 0, avoidBuilder: '' } }]).when({ type: 'SubmitJob', job, at: '2026-11-24T11:00:00Z' }).then([]));
  });

  describe('queueing and building', () => {
    it('queues the first attempt', () => spec.given([submitted]).when({ type: 'QueueJob', routingKey: 'deb.bookworm.amd64', at }).then([queued(1)]));
    it('queues an attempt only once', () => spec.given([submitted, queued(1)]).when({ type: 'QueueJob', routingKey: 'deb.bookworm.amd64', at }).then([]));
    it('blocks a waiting job with its reason', () => {
      const waiting = reason('waiting_for_dependency', 'waiting for dependency job 7', [7]);
      spec.given([submitted]).when({ type: 'BlockJob', reason: waiting, at }).then([{ type: 'JobBlocked', data: { jobId: 1, reason: waiting, blockedAt: at } }]);
    });
    it('starts the queued attempt', () => spec.given([submitted, queued(1)]).when({ type: 'StartBuild', attempt: 1, builder: 'b1', at }).then([started(1)]));
    it('takes a repeated start of the same attempt as done', () => spec.given([submitted, queued(1), started(1)]).when({ type: 'StartBuild', attempt: 1, builder: 'b1', at }).then([]));
    it('refuses a start of an attempt that is not queued', () => spec.given([submitted]).when({ type: 'StartBuild', attempt: 1, builder: 'b1', at }).thenThrows({ kind: 'conflict' }));
    it('records a success with its artifacts', () => {
      const artifacts = [{ name: 'hello_2.10-3_amd64.deb', sha256: 'a'.repeat(64), size: '1234', kind: 'deb' as const }];
      spec
        .given([submitted, queued(1), started(1)])
        .when({ type: 'SucceedBuild', attempt: 1, builder: 'b1', artifacts, at })
        .then([{ type: 'BuildSucceeded', data: { jobId: 1, attempt: 1, builder: 'b1', artifacts, finishedAt: at } }]);
    });
    it('records the mode a build starts in and the inputs it was made from', () => {
      spec
        .given([submitted, queued(1)])
        .when({ type: 'StartBuild', attempt: 1, builder: 'b1', mode: 'cross', at })
        .then([{ type: 'BuildStarted', data: { jobId: 1, attempt: 1, builder: 'b1', startedAt: at, mode: 'cross' } }]);
      const inputs = {
        sourceFiles: [{ name: 'hello_2.10-3.dsc', sha256: 'b'.repeat(64), size: '1500' }],
        sourceRevision: '',
        sourceTreeSha256: 'c'.repeat(64),
        chroot: 'bookworm-amd64-cross-arm64.tar',
        chrootSha256: 'd'.repeat(64),
        backend: 'sbuild',
        backendVersion: 'sbuild (Debian sbuild) 0.85.0 (04 January 2023)',
        buildinfo: 'hello_2.10-3_arm64.buildinfo',
        mode: 'cross' as const,
      };
      spec
        .given([submitted, queued(1), started(1)])
        .when({ type: 'SucceedBuild', attempt: 1, builder: 'b1', artifacts: [], inputs, at })
        .then([{ type: 'BuildSucceeded', data: { jobId: 1, attempt: 1, builder: 'b1', artifacts: [], finishedAt: at, inputs } }]);
    });
    it('refuses a report from another builder', () =>
      spec.given([submitted, queued(1), started(1)]).when({ type: 'SucceedBuild', attempt: 1, builder: 'b2', artifacts: [], at }).thenThrows({ kind: 'conflict' }));
  });

  describe('failures and retries', () => {
    it('never retries a package failure by itself', () =>
      spec.given([submitted, queued(1), started(1)]).when({ type: 'FailBuild', attempt: 1, builder: 'b1', failureClass: 'package', reason: reason('package_failure', 'x'), artifacts: [], at }).then([failedWith('package')]));

    it('retries an infrastructure failure by itself', () =>
      spec
        .given([submitted, queued(1), started(1)])
        .when({ type: 'FailBuild', attempt: 1, builder: 'b1', failureClass: 'infrastructure', reason: reason('infrastructure_failure', 'x'), artifacts: [], at })
        .then([failedWith('infrastructure'), { type: 'JobRetried', data: { jobId: 1, attempt: 2, retriedBy: { kind: 'system', name: 'tsbit' }, automatic: true, retriedAt: at } }]));

    it(`stops retrying infrastructure failures after ${MAX_INFRASTRUCTURE_RETRIES}`, () => {
      const history: JobEvent[] = [submitted];
      for (let attempt = 1; attempt <= MAX_INFRASTRUCTURE_RETRIES; attempt += 1) {
        history.push(queued(attempt), started(attempt), failedWith('infrastructure', attempt), {
          type: 'JobRetried',
          data: { jobId: 1, attempt: attempt + 1, retriedBy: { kind: 'system', name: 'tsbit' }, automatic: true, retriedAt: at },
        });
      }
      const last = MAX_INFRASTRUCTURE_RETRIES + 1;
      history.push(queued(last), started(last));
      spec.given(history).when({ type: 'FailBuild', attempt: last, builder: 'b1', failureClass: 'infrastructure', reason: reason('infrastructure_failure', 'x'), artifacts: [], at }).then([failedWith('infrastructure', last)]);
    });

    it('retries a failed job on request as a new attempt', () =>
      spec.given([submitted, queued(1), started(1), failedWith('package')]).when({ type: 'RetryJob', by: alice, automatic: false, at }).then([{ type: 'JobRetried', data: { jobId: 1, attempt: 2, retriedBy: alice, automatic: false, retriedAt: at } }]));

    it('queues a retried job with the next attempt number', () =>
      spec
        .given([submitted, queued(1), started(1), failedWith('package'), { type: 'JobRetried', data: { jobId: 1, attempt: 2, retriedBy: alice, automatic: false, retriedAt: at } }])
        .when({ type: 'QueueJob', routingKey: 'deb.bookworm.amd64', at })
        .then([queued(2)]));

    it('refuses to retry a job that is Done', () =>
      spec.given([submitted, queued(1), started(1), { type: 'BuildSucceeded', data: { jobId: 1, attempt: 1, builder: 'b1', artifacts: [], finishedAt: at } }]).when({ type: 'RetryJob', by: alice, automatic: false, at }).thenThrows({ kind: 'conflict' }));
  });

  describe('dependency waits', () => {
    const dependencyWait = (attempt: number): JobEvent => ({
      type: 'BuildFailed',
      data: { jobId: 1, attempt, builder: 'b1', failureClass: 'infrastructure', reason: reason('dependency_wait', 'libfoo-dev not installable'), artifacts: [], finishedAt: at },
    });
    const retriedBySystem = (attempt: number): JobEvent => ({ type: 'JobRetried', data: { jobId: 1, attempt, retriedBy: { kind: 'system', name: 'tsbit' }, automatic: true, retriedAt: at } });

    it('tries again however many times the build dependencies were missing, without using up the infrastructure retries', () => {
      const history: JobEvent[] = [submitted];
      for (let attempt = 1; attempt <= MAX_INFRASTRUCTURE_RETRIES + 2; attempt += 1) history.push(queued(attempt), started(attempt), dependencyWait(attempt), retriedBySystem(attempt + 1));
      const next = MAX_INFRASTRUCTURE_RETRIES + 3;
      const { state } = spec.given([...history, queued(next), started(next)]);
      expect(state).toMatchObject({ infrastructureRetries: 0, dependencyWaits: MAX_INFRASTRUCTURE_RETRIES + 2 });
      spec
        .given([...history, queued(next), started(next)])
        .when({ type: 'FailBuild', attempt: next, builder: 'b1', failureClass: 'infrastructure', reason: reason('dependency_wait', 'libfoo-dev not installable'), artifacts: [], at })
        .then([dependencyWait(next), retriedBySystem(next + 1)]);
      // An infrastructure failure after all those waits still has its whole budget.
      spec
        .given([...history, queued(next), started(next)])
        .when({ type: 'FailBuild', attempt: next, builder: 'b1', failureClass: 'infrastructure', reason: reason('infrastructure_failure', 'x'), artifacts: [], at })
        .then([failedWith('infrastructure', next), retriedBySystem(next + 1)]);
    });
  });

  describe('leases', () => {
    it('voids the attempt of a builder that stopped heartbeating', () =>
      spec.given([submitted, queued(1), started(1)]).when({ type: 'ExpireLease', attempt: 1, builder: 'b1', at }).then([{ type: 'LeaseExpired', data: { jobId: 1, attempt: 1, builder: 'b1', expiredAt: at } }]));

    it('lets another builder take the next attempt after a lease expired', () =>
      spec
        .given([submitted, queued(1), started(1), { type: 'LeaseExpired', data: { jobId: 1, attempt: 1, builder: 'b1', expiredAt: at } }, queued(2)])
        .when({ type: 'StartBuild', attempt: 2, builder: 'b2', at })
        .then([started(2, 'b2')]));

    it("refuses the dead builder's late report after its lease expired", () =>
      spec
        .given([submitted, queued(1), started(1), { type: 'LeaseExpired', data: { jobId: 1, attempt: 1, builder: 'b1', expiredAt: at } }, queued(2), started(2, 'b2')])
        .when({ type: 'SucceedBuild', attempt: 1, builder: 'b1', artifacts: [], at })
        .thenThrows({ kind: 'conflict', message: expect.stringContaining('attempt 1 is over') }));

    const expired = (attempt: number, builder = 'b1'): JobEvent => ({ type: 'LeaseExpired', data: { jobId: 1, attempt, builder, expiredAt: at } });

    it("refuses the dead builder's late failure before the next attempt is queued", () =>
      spec
        .given([submitted, queued(1), started(1), expired(1)])
        .when({ type: 'FailBuild', attempt: 1, builder: 'b1', failureClass: 'package', reason: reason('package_failure', 'x'), artifacts: [], at })
        .thenThrows({ kind: 'conflict', message: expect.stringContaining('lease of attempt 1 expired') }));

    it('takes a second expiry of the same lease as done', () => spec.given([submitted, queued(1), started(1), expired(1)]).when({ type: 'ExpireLease', attempt: 1, builder: 'b1', at }).then([]));

    it(`counts a lost builder as an infrastructure failure, and ends the job Failed after ${MAX_INFRASTRUCTURE_RETRIES} retries`, () => {
      const history: JobEvent[] = [submitted];
      for (let attempt = 1; attempt <= MAX_INFRASTRUCTURE_RETRIES; attempt += 1) history.push(queued(attempt), started(attempt), expired(attempt));
      const last = MAX_INFRASTRUCTURE_RETRIES + 1;
      history.push(queued(last), started(last));
      expect(spec.given(history).state).toMatchObject({ infrastructureRetries: MAX_INFRASTRUCTURE_RETRIES });
      spec.given(history).when({ type: 'ExpireLease', attempt: last, builder: 'b1', at }).then([
        expired(last),
        {
          type: 'BuildFailed',
          data: {
            jobId: 1,
            attempt: last,
            builder: 'b1',
            failureClass: 'infrastructure',
            reason: reason('retry_limit_reached', `builder b1 stopped answering; ${last} attempts were lost to infrastructure failures, so the farm stops retrying`),
            artifacts: [],
            finishedAt: at,
          },
        },
      ]);
    });

    it('gives a job retried by hand a fresh budget of automatic retries', () => {
      const history: JobEvent[] = [submitted];
      for (let attempt = 1; attempt <= MAX_INFRASTRUCTURE_RETRIES; attempt += 1) history.push(queued(attempt), started(attempt), expired(attempt));
      const last = MAX_INFRASTRUCTURE_RETRIES + 1;
      history.push(queued(last), started(last), failedWith('infrastructure', last), { type: 'JobRetried', data: { jobId: 1, attempt: last + 1, retriedBy: alice, automatic: false, retriedAt: at } });
      expect(spec.given(history).state).toMatchObject({ status: 'Waiting', infrastructureRetries: 0 });
      spec
        .given([...history, queued(last + 1), started(last + 1)])
        .when({ type: 'ExpireLease', attempt: last + 1, builder: 'b1', at })
        .then([expired(last + 1)]);
    });
  });

  describe('cancelling', () => {
    const byAlice = reason('cancelled_by_user', 'cancelled by alice');
    it('cancels a waiting job at once', () =>
      spec.given([submitted]).when({ type: 'CancelJob', by: alice, reason: byAlice, at }).then([{ type: 'JobCancelled', data: { jobId: 1, cancelledBy: alice, reason: byAlice, cancelledAt: at } }]));

    it('asks the builder of a building job to stop', () =>
      spec.given([submitted, queued(1), started(1)]).when({ type: 'CancelJob', by: alice, reason: byAlice, at }).then([{ type: 'JobCancelRequested', data: { jobId: 1, requestedBy: alice, reason: byAlice, requestedAt: at } }]));

    const cancelling: JobEvent[] = [submitted, queued(1), started(1), { type: 'JobCancelRequested', data: { jobId: 1, requestedBy: alice, reason: byAlice, requestedAt: at } }];
    it('ends Cancelled when the builder confirms', () =>
      spec.given(cancelling).when({ type: 'ConfirmCancel', attempt: 1, builder: 'b1', at }).then([{ type: 'JobCancelled', data: { jobId: 1, cancelledBy: { kind: 'builder', name: 'b1' }, reason: byAlice, cancelledAt: at } }]));

    it('ends Cancelled when the lease of a cancelling build runs out', () =>
      spec.given(cancelling).when({ type: 'ExpireLease', attempt: 1, builder: 'b1', at }).then([
        { type: 'LeaseExpired', data: { jobId: 1, attempt: 1, builder: 'b1', expiredAt: at } },
        { type: 'JobCancelled', data: { jobId: 1, cancelledBy: { kind: 'system', name: 'tsbit' }, reason: byAlice, cancelledAt: at } },
      ]));

    it('cancels a blocked job at once', () =>
      spec
        .given([submitted, { type: 'JobBlocked', data: { jobId: 1, reason: reason('waiting_for_dependency', 'waiting for dependency job 7', [7]), blockedAt: at } }])
        .when({ type: 'CancelJob', by: alice, reason: byAlice, at })
        .then([{ type: 'JobCancelled', data: { jobId: 1, cancelledBy: alice, reason: byAlice, cancelledAt: at } }]));

    it("refuses a confirmation from a builder that does not run the attempt", () =>
      spec.given(cancelling).when({ type: 'ConfirmCancel', attempt: 1, builder: 'b2', at }).thenThrows({ kind: 'conflict', message: expect.stringContaining('belongs to b1') }));

    it('ends a cancelling job Cancelled, not Failed, when its build fails meanwhile', () =>
      spec.given(cancelling).when({ type: 'FailBuild', attempt: 1, builder: 'b1', failureClass: 'infrastructure', reason: reason('infrastructure_failure', 'x'), artifacts: [], at }).then([
        failedWith('infrastructure'),
        { type: 'JobCancelled', data: { jobId: 1, cancelledBy: { kind: 'system', name: 'tsbit' }, reason: byAlice, cancelledAt: at } },
      ]));

    it('refuses to retry a job superseded by a newer one, naming it', () =>
      spec
        .given([submitted, { type: 'JobCancelled', data: { jobId: 1, cancelledBy: alice, reason: reason('superseded', 'superseded by job 9', [9]), cancelledAt: at } }])
        .when({ type: 'RetryJob', by: alice, automatic: false, at })
        .thenThrows({ kind: 'conflict', message: 'job 1 was superseded by job 9: retry that one instead' }));

    it('retries a cancelled job on request', () =>
      spec
        .given([submitted, { type: 'JobCancelled', data: { jobId: 1, cancelledBy: alice, reason: byAlice, cancelledAt: at } }])
        .when({ type: 'RetryJob', by: alice, automatic: false, at })
        .then([{ type: 'JobRetried', data: { jobId: 1, attempt: 1, retriedBy: alice, automatic: false, retriedAt: at } }]));

    it('refuses to cancel a finished job', () =>
      spec.given([submitted, queued(1), started(1), failedWith('package')]).when({ type: 'CancelJob', by: alice, reason: byAlice, at }).thenThrows({ kind: 'conflict' }));
  });

  describe('deleting', () => {
    it('refuses to delete a building job', () => spec.given([submitted, queued(1), started(1)]).when({ type: 'DeleteJob', by: alice, at }).thenThrows({ kind: 'conflict' }));
    it('deletes a finished job', () =>
      spec.given([submitted, queued(1), started(1), failedWith('package')]).when({ type: 'DeleteJob', by: alice, at }).then([{ type: 'JobDeleted', data: { jobId: 1, deletedBy: alice, deletedAt: at } }]));
  });
});
