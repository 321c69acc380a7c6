import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DomainError, serializeEvent, type CatalogEntryAdded, type Decider } from '@tsbit/domain';
import { handleCommand } from './command-handler';
import { WrongExpectedVersion, type EventLog } from './port';
import { PostgresEventLog } from './postgres/postgres-event-log';

const DATABASE_URL = process.env.TSBIT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// A small decider over a real contract event: architectures may be added once each, three at most.
type AddArch = { type: 'AddArch'; name: string };
type Arches = { names: string[] };
const added = (name: string): CatalogEntryAdded => ({
  type: 'CatalogEntryAdded',
  data: { kind: 'arch', name, description: '', addedBy: 'test', addedAt: '2026-11-24T00:00:00Z' },
});
const archDecider: Decider<AddArch, CatalogEntryAdded, Arches> = {
  initialState: () => ({ names: [] }),
  evolve: (state, event) => ({ names: [...state.names, event.data.name] }),
  decide: (command, state) => {
    if (state.names.includes(command.name)) return [];
    if (state.names.length >= 3) throw new DomainError('conflict', 'no more than three architectures');
    return [added(command.name)];
  },
};

/**
 * The real log, with another writer that gets in between the handler's read and its append the
 * first `times` times: a conflict on demand, without timing luck.
 */
function withRivalWriter(log: EventLog, stream: string, times: number, rivalArch: (n: number) => string): EventLog & { reads: number } {
  const raced: EventLog & { reads: number } = Object.create(log) as EventLog & { reads: number };
  raced.reads = 0;
  raced.readStream = async (name, fromVersion) => {
    const events = await log.readStream(name, fromVersion);
    raced.reads += 1;
    if (name === stream && raced.reads <= times) await log.append(stream, [serializeEvent(added(rivalArch(raced.reads)))], 'any');
    return events;
  };
  return raced;
}

describe('handling a command against a stream', () => {
  const schema = `cmd_${randomBytes(5).toString('hex')}`;
  let log: PostgresEventLog;

  beforeAll(async () => {
    log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema });
  });
  afterAll(async () => {
    await log.close();
    const client = new Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.end();
  });

  it('appends what the decider decides to a new stream, in canonical form, with the metadata given', async () => {
    const result = await handleCommand({ log, stream: 'catalog-a', decider: archDecider, command: { type: 'AddArch', name: 'amd64' }, metadata: { causedBy: { kind: 'user', name: 'alice' } } });
    expect(result).toEqual({ events: [added('amd64')], state: { names: ['amd64'] }, nextExpectedVersion: 0 });
    const [stored] = await log.readStream('catalog-a');
    expect(stored?.type).toBe('CatalogEntryAdded');
    expect(stored?.data).toEqual(serializeEvent(added('amd64')).data);
    expect(stored?.metadata).toEqual({ causedBy: { kind: 'user', name: 'alice' } });
  });

  it('folds the stream before deciding, and appends nothing when the step was already taken', async () => {
    await handleCommand({ log, stream: 'catalog-a', decider: archDecider, command: { type: 'AddArch', name: 'arm64' } });
    const again = await handleCommand({ log, stream: 'catalog-a', decider: archDecider, command: { type: 'AddArch', name: 'amd64' } });
    expect(again).toEqual({ events: [], state: { names: ['amd64', 'arm64'] }, nextExpectedVersion: 1 });
    expect(await log.readStream('catalog-a')).toHaveLength(2);
  });

  it('throws what the decider refuses, and appends nothing', async () => {
    await handleCommand({ log, stream: 'catalog-full', decider: archDecider, command: { type: 'AddArch', name: 'a' } });
    await handleCommand({ log, stream: 'catalog-full', decider: archDecider, command: { type: 'AddArch', name: 'b' } });
    await handleCommand({ log, stream: 'catalog-full', decider: archDecider, command: { type: 'AddArch', name: 'c' } });
    await expect(handleCommand({ log, stream: 'catalog-full', decider: archDecider, command: { type: 'AddArch', name: 'd' } })).rejects.toThrow(DomainError);
    expect(await log.readStream('catalog-full')).toHaveLength(3);
  });

  it('decides again on the new state when another writer got in first', async () => {
    const raced = withRivalWriter(log, 'catalog-raced', 1, () => 'i386');
    const result = await handleCommand({ log: raced, stream: 'catalog-raced', decider: archDecider, command: { type: 'AddArch', name: 'amd64' } });
    expect(raced.reads).toBe(2);
    expect(result).toEqual({ events: [added('amd64')], state: { names: ['i386', 'amd64'] }, nextExpectedVersion: 1 });
    expect((await log.readStream('catalog-raced')).map((event) => event.data.name)).toEqual(['i386', 'amd64']);
  });

  it('lets the second decision differ: the rival may have made the command pointless', async () => {
    const raced = withRivalWriter(log, 'catalog-same', 1, () => 'amd64');
    const result = await handleCommand({ log: raced, stream: 'catalog-same', decider: archDecider, command: { type: 'AddArch', name: 'amd64' } });
    expect(result.events).toEqual([]);
    expect(await log.readStream('catalog-same')).toHaveLength(1);
  });

  it('gives up with WrongExpectedVersion after maxRetries further conflicts', async () => {
    const raced = withRivalWriter(log, 'catalog-busy', 3, (n) => `rival${n}`);
    await expect(handleCommand({ log: raced, stream: 'catalog-busy', decider: archDecider, command: { type: 'AddArch', name: 'amd64' }, maxRetries: 2 })).rejects.toBeInstanceOf(WrongExpectedVersion);
    expect(raced.reads).toBe(3);
    expect((await log.readStream('catalog-busy')).map((event) => event.data.name)).toEqual(['rival1', 'rival2', 'rival3']);
  });

  it('settles concurrent commands on one stream, each decided on the state it is appended to', async () => {
    const names = ['arm64', 'i386', 'riscv64', 'armhf'];
    const results = await Promise.all(
      names.map((name) => handleCommand({ log, stream: 'catalog-b', decider: archDecider, command: { type: 'AddArch', name }, maxRetries: 10 }).catch((error: unknown) => error)),
    );
    expect(results.filter((result) => result instanceof DomainError)).toHaveLength(1);
    const stored = await log.readStream('catalog-b');
    expect(stored.map((event) => event.version)).toEqual([0, 1, 2]);
    expect(new Set(stored.map((event) => event.data.name)).size).toBe(3);
  });
});
