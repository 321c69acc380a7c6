import type { DomainEvent } from '@tsbit/domain';
import { submittedJob } from '@tsbit/read-models/testing';
import { FarmModel } from './farm-model';

const at = '2026-11-24T10:00:00.000Z';
const builder = (name: string, slots = 1): DomainEvent => ({ type: 'BuilderRegistered', data: { name, arches: ['amd64'], suites: ['bookworm'], formats: ['deb'], slots, registeredAt: at } });
const given = (...events: DomainEvent[]): FarmModel => {
  const model = new FarmModel();
  for (const event of events) model.apply(event);
  return model;
};

describe("the scheduler's picture of the farm", () => {
  it('hands out no more jobs than live builders have slots', () => {
    const model = given(builder('b1', 2), submittedJob(1), submittedJob(2), submittedJob(3));
    [1, 2, 3].forEach((id) => model.release(id));
    expect(model.nextDispatches().map((job) => job.job.jobId)).toEqual([1, 2]);
    model.reserve(1);
    model.reserve(2);
    expect(model.nextDispatches()).toEqual([]);
  });

  it('holds jobs for an architecture no builder serves', () => {
    const model = given(builder('b1'), submittedJob(1, { arch: 'arm64' }));
    model.release(1);
    expect(model.nextDispatches()).toEqual([]);
  });

  it('gives a paused builder no work, and work again once resumed', () => {
    const model = given(builder('b1'), { type: 'BuilderPaused', data: { name: 'b1', pausedBy: 'admin', pausedAt: at } }, submittedJob(1));
    model.release(1);
    expect(model.nextDispatches()).toEqual([]);
    model.apply({ type: 'BuilderResumed', data: { name: 'b1', resumedBy: 'admin', resumedAt: at } });
    expect(model.nextDispatches().map((job) => job.job.jobId)).toEqual([1]);
  });

  it('frees the slot of a finished build and queues a retried job again', () => {
    const model = given(
      builder('b1'),
      submittedJob(1),
      { type: 'JobQueued', data: { jobId: 1, attempt: 1, routingKey: 'deb.bookworm.amd64', queuedAt: at } },
      { type: 'BuildStarted', data: { jobId: 1, attempt: 1, builder: 'b1', startedAt: at } },
      submittedJob(2),
    );
    model.release(2);
    expect(model.nextDispatches()).toEqual([]);
    model.apply({ type: 'BuildFailed', data: { jobId: 1, attempt: 1, builder: 'b1', failureClass: 'infrastructure', reason: { code: 'infrastructure_failure', message: 'disk full', jobIds: [] }, artifacts: [], finishedAt: at } });
    model.apply({ type: 'JobRetried', data: { jobId: 1, attempt: 2, retriedBy: { kind: 'system', name: 'tsbit' }, automatic: true, retriedAt: at } });
    expect(model.nextDispatches().map((job) => job.job.jobId)).toEqual([1]);
  });

  it('lets another project have the freed slot before a mass rebuild continues', () => {
    const model = given(builder('b1'), ...[1, 2, 3].map((id) => submittedJob(id, { project: 'mass' })), submittedJob(4, { project: 'alice' }));
    [1, 2, 3, 4].forEach((id) => model.release(id));
    const [first] = model.nextDispatches();
    expect(first?.job.jobId).toBe(1);
    model.reserve(1);
    model.apply({ type: 'JobCancelled', data: { jobId: 1, cancelledBy: { kind: 'user', name: 'x' }, reason: { code: 'cancelled_by_user', message: '', jobIds: [] }, cancelledAt: at } });
    expect(model.nextDispatches().map((job) => job.job.jobId)).toEqual([4]);
  });

  it('tells the work per architecture that builder pools are sized by', () => {
    const model = given(builder('b1'), submittedJob(1), submittedJob(2), submittedJob(3, { arch: 'arm64' }));
    [1, 2, 3].forEach((id) => model.release(id));
    model.reserve(1);
    expect(Object.fromEntries(model.workByArch())).toEqual({ amd64: { waiting: 1, building: 1 }, arm64: { waiting: 1, building: 0 } });
  });

  it('changes nothing when an event is applied twice', () => {
    const model = given(builder('b1'), submittedJob(1), submittedJob(1));
    expect(model.jobs.size).toBe(1);
  });
});
