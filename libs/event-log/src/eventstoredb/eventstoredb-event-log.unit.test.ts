import { ANY, NO_STREAM } from '@eventstore/db-client';
import { toExpectedRevision, toRecorded } from './eventstoredb-event-log';

describe('EventStoreDB mapping', () => {
  it('maps expected versions onto expected revisions', () => {
    expect(toExpectedRevision('any')).toBe(ANY);
    expect(toExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toExpectedRevision(4)).toBe(4n);
  });

  it('maps a resolved event onto a recorded one, with the commit position as global position', () => {
    const created = new Date('2026-11-24T00:00:00Z');
    const recorded = toRecorded({
      event: {
        streamId: 'job-1',
        id: 'x',
        revision: 2n,
        type: 'JobQueued',
        data: { jobId: 1 },
        metadata: { causedBy: { kind: 'system', name: 'scheduler' } },
        isJson: true,
        created,
        position: { commit: 1234n, prepare: 1234n },
        contentType: 'application/json',
      },
      commitPosition: 1234n,
    } as never);
    expect(recorded).toEqual({
      stream: 'job-1',
      version: 2,
      position: 1234n,
      type: 'JobQueued',
      data: { jobId: 1 },
      metadata: { causedBy: { kind: 'system', name: 'scheduler' } },
      recordedAt: created,
    });
  });

  it('skips system events', () => {
    expect(toRecorded({ event: { streamId: '$stats', isJson: true } } as never)).toBeUndefined();
  });
});
