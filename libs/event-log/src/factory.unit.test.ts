import { createEventLog } from './factory';
import { EventStoreDbEventLog } from './eventstoredb/eventstoredb-event-log';

describe('createEventLog', () => {
  const base = { databaseUrl: 'postgres://postgres@127.0.0.1:5432/test', schema: 'tsbit' };

  it('makes the EventStoreDB log when asked, and wants its address', async () => {
    await expect(createEventLog({ ...base, kind: 'eventstoredb' })).rejects.toThrow(/eventStoreDbUrl \(TSBIT_EVENTSTOREDB_URL\) is required/);
    // The client connects on first use, so nothing needs to listen here.
    const log = await createEventLog({ ...base, kind: 'eventstoredb', eventStoreDbUrl: 'esdb://127.0.0.1:1?tls=false' });
    expect(log).toBeInstanceOf(EventStoreDbEventLog);
    expect(log.atomicAppendMany).toBe(false);
    await log.close();
  });

  it('refuses an unknown kind, naming the variable', async () => {
    await expect(createEventLog({ ...base, kind: 'kafka' as never })).rejects.toThrow(/kind \(TSBIT_EVENT_LOG\) must be 'postgres' or 'eventstoredb', got 'kafka'/);
  });
});
