import { jobDecider, type JobEvent, type JobSubmitted } from '@tsbit/domain';
import { judgeUpload, type UploadRequest } from './upload-scope';

const at = '2026-01-01T00:00:00.000Z';
const submitted: JobSubmitted = {
  type: 'JobSubmitted',
  data: {
    jobId: 7, package: 'hello', version: '1.0', suite: 'bookworm', dist: 'debian', arch: 'amd64', format: 'deb', env: '',
    source: { method: 'git', url: 'file:///x', ref: 'main' }, priority: 0, project: 'p', dependsOn: [], buildArchIndep: true,
    submittedBy: { kind: 'user', name: 'alice' }, submittedAt: at, retryOf: 0,
  },
};
const queued = (attempt: number): JobEvent => ({ type: 'JobQueued', data: { jobId: 7, attempt, routingKey: 'deb.bookworm.amd64', queuedAt: at } });
const started = (attempt: number, builder = 'b1'): JobEvent => ({ type: 'BuildStarted', data: { jobId: 7, attempt, builder, startedAt: at, mode: '' } });
const failed = (attempt: number): JobEvent => ({ type: 'BuildFailed', data: { jobId: 7, attempt, builder: 'b1', failureClass: 'infrastructure', reason: { code: 'infrastructure_failure', message: 'x', jobIds: [] }, artifacts: [], finishedAt: at } });
const retried = (attempt: number): JobEvent => ({ type: 'JobRetried', data: { jobId: 7, attempt, retriedBy: { kind: 'system', name: 'tsbit' }, automatic: true, retriedAt: at } });
const cancelRequested: JobEvent = { type: 'JobCancelRequested', data: { jobId: 7, requestedBy: { kind: 'user', name: 'alice' }, reason: { code: 'cancelled_by_user', message: 'x', jobIds: [] }, requestedAt: at } };

const judge = (events: JobEvent[], upload: Partial<UploadRequest> = {}) =>
  judgeUpload(events.reduce(jobDecider.evolve, jobDecider.initialState()), events, { jobId: 7, attempt: 1, builder: 'b1', kind: 'deb', ...upload });

describe('an upload is taken only for the attempt its builder holds a lease on', () => {
  it('takes a package from the builder building that attempt', () => {
    expect(judge([submitted, queued(1), started(1)])).toEqual({ kind: 'accept' });
  });

  it('refuses an unknown job with 404', () => {
    expect(judge([])).toMatchObject({ kind: 'refuse', status: 404, reason: 'no job 7' });
  });

  it('refuses another builder, naming the lease holder', () => {
    expect(judge([submitted, queued(1), started(1, 'b2')])).toMatchObject({ status: 409, reason: expect.stringContaining('leased to builder b2, not b1') });
  });

  it('refuses an attempt that is over, naming why, and one that does not exist yet', () => {
    const events = [submitted, queued(1), started(1), failed(1), retried(2), queued(2), started(2, 'b2')];
    expect(judge(events)).toMatchObject({ status: 409, reason: expect.stringContaining('attempt 1 has failed and is over; attempt 2 of job 7 is current') });
    expect(judge(events, { attempt: 3 })).toMatchObject({ status: 409, reason: expect.stringContaining('attempt 3 of job 7 does not exist') });
  });

  it('refuses an attempt whose lease expired', () => {
    const expired: JobEvent = { type: 'LeaseExpired', data: { jobId: 7, attempt: 1, builder: 'b1', expiredAt: at } };
    expect(judge([submitted, queued(1), started(1), expired])).toMatchObject({ status: 409, reason: expect.stringContaining('the lease of attempt 1 expired') });
  });

  it('refuses uploads once the attempt succeeded', () => {
    const succeeded: JobEvent = { type: 'BuildSucceeded', data: { jobId: 7, attempt: 1, builder: 'b1', artifacts: [], finishedAt: at } };
    expect(judge([submitted, queued(1), started(1), succeeded], { kind: 'log' })).toMatchObject({ status: 409, reason: expect.stringContaining('attempt 1 has succeeded and is over') });
  });

  it('takes only the log of a job being cancelled, and nothing once it is cancelled', () => {
    const cancelling = [submitted, queued(1), started(1), cancelRequested];
    expect(judge(cancelling, { kind: 'log' })).toEqual({ kind: 'accept' });
    expect(judge(cancelling, { kind: 'deb' })).toMatchObject({ status: 409, reason: expect.stringContaining('being cancelled') });
    const cancelled: JobEvent = { type: 'JobCancelled', data: { jobId: 7, cancelledBy: { kind: 'builder', name: 'b1' }, reason: { code: 'cancelled_by_user', message: 'x', jobIds: [] }, cancelledAt: at } };
    expect(judge([...cancelling, cancelled], { kind: 'log' })).toMatchObject({ status: 409, reason: expect.stringContaining('job 7 was cancelled') });
  });

  it('waits for the BuildStarted of a queued attempt, which may not be recorded yet', () => {
    expect(judge([submitted, queued(1)])).toMatchObject({ kind: 'not_started' });
  });
});
