import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DomainError, type CatalogEntryAdded, type Decider } from '@tsbit/domain';
import { handleCommand } from './command-handler';
import { PostgresEventLog } from './postgres/postgres-event-log';

const DATABASE_URL = process.env.TSBIT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// A small decider over a real contract event: architectures may be added once each.
type AddArch = { type: 'AddArch'; name: string };
type Arches = { names: string[] };
const archDecider: Decider<AddArch, CatalogEntryAdded, Arches> = {
  initialState: () => ({ names: [] }),
  evolve: (state, event) => ({ names: [...state.names, event.data.name] }),
  decide: (command, state) => {
    if (state.names.includes(command.name)) return [];
    if (state.names.length >= 3) throw new DomainError('conflict', 'no more than three architectures');
    return [{ type: 'CatalogEntryAdded', data: { kind: 'arch', name: command.name, description: '', addedBy: 'test', addedAt: '2026-11-24T00:00:00Z' } }];
  },
};

describe('handling a command against a stream', () => {
  const schema = `cmd_${randomBytes(4).toString('hex')}`;
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

  it('appends what the decider decides, with the metadata given, in canonical form', async () => {
    const result = await handleCommand({ log, stream: 'catalog-a', decider: archDecider, command: { type: 'AddArch', name: 'amd64' }, metadata: { causedBy: { kind: 'user', name: 'alice' } } });
    expect(result.state.names).toEqual(['amd64']);
    const [stored] = await log.readStream('catalog-a');
    expect(stored?.data).toEqual({ kind: 'arch', name: 'amd64', description: '', addedBy: 'test', addedAt: '2026-11-24T00:00:00Z' });
    expect(stored?.metadata).toEqual({ causedBy: { kind: 'user', name: 'alice' } });
  });

  it('appends nothing when the step was already taken', async () => {
    const again = await handleCommand({ log, stream: 'catalog-a', decider: archDecider, command: { type: 'AddArch', name: 'amd64' } });
    expect(again.events).toEqual([]);
    expect(await log.readStream('catalog-a')).toHaveLength(1);
  });

  it('decides again on the new state when another writer got there first', async () => {
    const results = await Promise.all(['arm64', 'i386', 'riscv64', 'armhf'].map((name) => handleCommand({ log, stream: 'catalog-b', decider: archDecider, command: { type: 'AddArch', name }, maxRetries: 10 }).catch((error: unknown) => error)));
    const refused = results.filter((result) => result instanceof DomainError);
    expect(refused).toHaveLength(1);
    expect(await log.readStream('catalog-b')).toHaveLength(3);
  });
});
