import { ANY, NO_STREAM, START, WrongExpectedVersionError } from '@eventstore/db-client';
import { WrongExpectedVersion } from '../port';
import { EventStoreDbEventLog, toExpectedRevision, toReadPosition, toRecorded, toWrongExpectedVersion } from './eventstoredb-event-log';

const resolved = (event: Record<string, unknown>) =>
  ({
    event: {
      streamId: 'job-1',
      id: '6a7e1d7c-6f1e-4f57-9d77-0b8f5d9d3f11',
      revision: 2n,
      type: 'JobQueued',
      data: { jobId: 1 },
      metadata: { causedBy: { kind: 'system', name: 'scheduler' } },
      isJson: true,
      created: new Date('2026-11-24T00:00:00Z'),
      position: { commit: 1234n, prepare: 1234n },
      ...event,
    },
  }) as never;

describe('EventStoreDB mapping', () => {
  it('maps expected versions onto expected revisions', () => {
    expect(toExpectedRevision('any')).toBe(ANY);
    expect(toExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toExpectedRevision(0)).toBe(0n);
    expect(toExpectedRevision(4)).toBe(4n);
  });

  it('maps a conflict onto WrongExpectedVersion with the actual version', () => {
    const atTwo = new WrongExpectedVersionError(undefined, { streamName: 'job-1', expected: 0n, current: 2n });
    const missing = new WrongExpectedVersionError(undefined, { streamName: 'job-1', expected: 0n, current: NO_STREAM });
    expect(toWrongExpectedVersion('job-1', 0, atTwo)).toEqual(new WrongExpectedVersion('job-1', 0, 2));
    expect(toWrongExpectedVersion('job-1', 0, atTwo)).toMatchObject({ stream: 'job-1', expected: 0, actual: 2 });
    expect(toWrongExpectedVersion('job-1', 0, missing)).toMatchObject({ actual: 'no_stream' });
  });

  it('starts $all reads after a commit position, or at the start for 0n', () => {
    expect(toReadPosition(0n)).toBe(START);
    expect(toReadPosition(1234n)).toEqual({ commit: 1234n, prepare: 1234n });
  });

  it('maps a resolved event onto a recorded one, with the commit position as global position', () => {
    expect(toRecorded(resolved({}))).toEqual({
      stream: 'job-1',
      version: 2,
      position: 1234n,
      type: 'JobQueued',
      data: { jobId: 1 },
      metadata: { causedBy: { kind: 'system', name: 'scheduler' } },
      recordedAt: new Date('2026-11-24T00:00:00Z'),
    });
    expect(toRecorded(resolved({ metadata: undefined }))?.metadata).toEqual({});
  });

  it('skips system streams, system events, binary events and unresolved links', () => {
    expect(toRecorded(resolved({ streamId: '$stats-127.0.0.1:2113' }))).toBeUndefined();
    expect(toRecorded(resolved({ type: '$metadata' }))).toBeUndefined();
    expect(toRecorded(resolved({ isJson: false, data: new Uint8Array([1]) }))).toBeUndefined();
    expect(toRecorded({ event: undefined } as never)).toBeUndefined();
  });

  it('refuses a missing connection string, and bad input before any call to the server', async () => {
    await expect(EventStoreDbEventLog.create({ connectionString: '' })).rejects.toThrow(/connectionString/);
    // Nothing listens on this port; the checks must fail first, without a connection attempt.
    const log = await EventStoreDbEventLog.create({ connectionString: 'esdb://127.0.0.1:1?tls=false' });
    try {
      await expect(log.append('job-1', [{ type: 'T', data: {} }], 1.5)).rejects.toThrow(/expectedVersion/);
      await expect(log.appendMany([
        { stream: 'a', events: [], expectedVersion: 'any' },
        { stream: 'a', events: [], expectedVersion: 'any' },
      ])).rejects.toThrow(/appends\[1\]\.stream/);
      await expect(log.readAll(-1n, 10)).rejects.toThrow(/after/);
      expect(() => log.subscribe({ after: -1n }, async () => undefined)).toThrow(/after/);
    } finally {
      await log.close();
    }
  });
});
