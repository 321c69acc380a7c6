import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { serializeEvent, type DomainEvent } from '@tsbit/domain';
import { PostgresEventLog } from '@tsbit/event-log';
import { applyEvents } from './projector';
import { createReadModels, INSTANCE_JOB_IDS, type PackageInstanceView, type PackageVersionView, type ReadModels } from './queries';
import { migrateReadModels } from './schema';
import { at, builtJob, submittedJob } from './testing';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
/** More jobs in one instance than it lists. */
const CROWDED = INSTANCE_JOB_IDS + 5;
const FIRST_CROWDED_ID = 100;

const versionKey = (entry: PackageVersionView) => `${entry.name} ${entry.version}`;
const instanceKey = (instance: PackageInstanceView) => [instance.package, instance.version, instance.suite, instance.arch, instance.env].join(' ');

describe('package versions and instances, grouped and paged by PostgreSQL', () => {
  const schema = `rm_${randomBytes(4).toString('hex')}`;
  let pool: Pool;
  let packages: ReadModels['packages'];

  beforeAll(async () => {
    pool = new Pool({ connectionString: DATABASE_URL });
    const log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema, pool });
    await migrateReadModels(pool, schema);
    const done = builtJob(1).map(({ stream, events }) =>
      stream === 'job-1' ? { stream, events: events.map((event) => (event.type === 'JobSubmitted' ? submittedJob(1, { package: 'alpha', version: '1.0' }) : event)) } : { stream, events },
    );
    const crowded = Array.from({ length: CROWDED }, (_, index) => FIRST_CROWDED_ID + index);
    const streams: { stream: string; events: DomainEvent[] }[] = [
      ...done,
      { stream: 'job-2', events: [submittedJob(2, { package: 'alpha', version: '1.0', arch: 'arm64', buildArchIndep: false })] },
      { stream: 'job-3', events: [submittedJob(3, { package: 'beta', version: '1.0', env: 'x' })] },
      { stream: 'job-4', events: [submittedJob(4, { package: 'beta', version: '1.0' }), { type: 'JobDeleted', data: { jobId: 4, deletedBy: { kind: 'user', name: 'alice' }, deletedAt: at(5) } }] },
      { stream: 'job-5', events: [submittedJob(5, { package: 'gamma', version: '0.1', arch: 'i386', suite: 'trixie' })] },
      // The newest job of the crowded instance left Architecture: all to another arch.
      ...crowded.map((id) => ({ stream: `job-${id}`, events: [submittedJob(id, { package: 'alpha', version: '2.0', buildArchIndep: id !== FIRST_CROWDED_ID + CROWDED - 1 })] })),
    ];
    for (const { stream, events } of streams) await log.append(stream, events.map(serializeEvent), 'no_stream');
    const client = await pool.connect();
    await applyEvents(client, schema, 'test', await log.readAll(0n, 10_000)).finally(() => client.release());
    packages = createReadModels(pool, schema).packages;
  });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  });

  it('groups versions in key order, counting jobs and unfinished ones; deleted jobs count nowhere', async () => {
    expect((await packages.versions({})).items).toEqual([
      { name: 'alpha', version: '1.0', jobs: 2, unfinished: 1 },
      { name: 'alpha', version: '2.0', jobs: CROWDED, unfinished: CROWDED },
      { name: 'beta', version: '1.0', jobs: 1, unfinished: 1 },
      { name: 'gamma', version: '0.1', jobs: 1, unfinished: 1 },
    ]);
    expect(await packages.names()).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('pages versions after the key of the last row, either way, losing and repeating nothing', async () => {
    const whole = (await packages.versions({})).items.map(versionKey);
    for (const descending of [false, true]) {
      const seen: string[] = [];
      let after: [string, string] | undefined;
      for (let more = true; more; ) {
        const page = await packages.versions({ limit: 3, descending, after });
        seen.push(...page.items.map(versionKey));
        const last = page.items[page.items.length - 1];
        after = last && [last.name, last.version];
        more = page.hasMore;
      }
      expect(seen).toEqual(descending ? [...whole].reverse() : whole);
    }
    expect((await packages.versions({ limit: 2, offset: 2 })).items.map(versionKey)).toEqual(['beta 1.0', 'gamma 0.1']);
  });

  it('filters versions by name, version and their counts, and counts what passes', async () => {
    expect((await packages.versions({ name: 'alpha' })).items.map(versionKey)).toEqual(['alpha 1.0', 'alpha 2.0']);
    expect((await packages.versions({ version: '1.0' })).items.map(versionKey)).toEqual(['alpha 1.0', 'beta 1.0']);
    expect((await packages.versions({ jobs: CROWDED })).items.map(versionKey)).toEqual(['alpha 2.0']);
    expect((await packages.versions({ unfinished: 1 })).items.map(versionKey)).toEqual(['alpha 1.0', 'beta 1.0', 'gamma 0.1']);
    expect([await packages.countVersions({}), await packages.countVersions({ name: 'alpha' }), await packages.countVersions({ unfinished: 1, version: '1.0' })]).toEqual([4, 2, 2]);
  });

  it('groups instances in key order with the newest job ids, capped, and the newest job\'s master', async () => {
    const { items } = await packages.instances({});
    expect(items.map(instanceKey)).toEqual(['alpha 1.0 bookworm amd64 ', 'alpha 1.0 bookworm arm64 ', 'alpha 2.0 bookworm amd64 ', 'beta 1.0 bookworm amd64 x', 'gamma 0.1 trixie i386 ']);
    const crowded = items[2] as PackageInstanceView;
    const newest = FIRST_CROWDED_ID + CROWDED - 1;
    expect(crowded.jobs).toEqual(Array.from({ length: INSTANCE_JOB_IDS }, (_, index) => newest - index));
    expect(crowded.master).toBe(false);
    expect(items.map((instance) => instance.master)).toEqual([true, false, false, true, true]);
  });

  it('pages instances after the seven-field key, either way, losing and repeating nothing', async () => {
    const whole = (await packages.instances({})).items.map(instanceKey);
    for (const descending of [false, true]) {
      const seen: string[] = [];
      let after: PackageInstanceView | undefined;
      for (let more = true; more; ) {
        const page = await packages.instances({ limit: 2, descending, after: after && [after.package, after.version, after.suite, after.arch, after.format, after.dist, after.env] });
        seen.push(...page.items.map(instanceKey));
        after = page.items[page.items.length - 1];
        more = page.hasMore;
      }
      expect(seen).toEqual(descending ? [...whole].reverse() : whole);
    }
  });

  it('filters instances by their fields, master, and a job they hold beyond the ids they list', async () => {
    expect((await packages.instances({ env: '' })).items.map(instanceKey)).toEqual(['alpha 1.0 bookworm amd64 ', 'alpha 1.0 bookworm arm64 ', 'alpha 2.0 bookworm amd64 ', 'gamma 0.1 trixie i386 ']);
    expect((await packages.instances({ package: 'alpha', arch: 'amd64' })).items.map(instanceKey)).toEqual(['alpha 1.0 bookworm amd64 ', 'alpha 2.0 bookworm amd64 ']);
    expect((await packages.instances({ suite: 'trixie' })).items.map(instanceKey)).toEqual(['gamma 0.1 trixie i386 ']);
    expect((await packages.instances({ master: true })).items.map(instanceKey)).toEqual(['alpha 1.0 bookworm amd64 ', 'beta 1.0 bookworm amd64 x', 'gamma 0.1 trixie i386 ']);
    expect((await packages.instances({ job: FIRST_CROWDED_ID })).items.map(instanceKey)).toEqual(['alpha 2.0 bookworm amd64 ']);
    expect((await packages.instances({ job: 4 })).items).toEqual([]);
    expect([await packages.countInstances({}), await packages.countInstances({ package: 'alpha', master: true }), await packages.countInstances({ job: 2 })]).toEqual([5, 1, 1]);
  });
});
