import { randomBytes } from 'node:crypto';
import { makeDebianPackageRepository } from './fixtures';
import { isFinished, startTestFarm, type JobView, type TestFarm } from './testing';

const HEARTBEAT_MS = 1000;

type CheckedJob = JobView & {
  rebuildOf: number | null;
  source: { method: string; url: string; ref: string };
  rebuildCheck: { of: number; status: string; files: { name: string; originalSha256: string | null; rebuiltSha256: string | null; identical: boolean }[]; inputsDiffer: string[] } | null;
  rebuildChecks: { id: number; status: string }[];
};

/**
 * A rebuild check through the whole farm: two builders on the native back end (fast; the check is
 * about the farm, not the chroot), a package whose dpkg-deb output is reproducible (its file
 * times are clamped to the changelog's date through SOURCE_DATE_EPOCH), built once and then again
 * on the other builder.
 */
describe('a rebuild check through the whole farm', () => {
  const id = randomBytes(3).toString('hex');
  let farm: TestFarm;

  beforeAll(async () => {
    farm = await startTestFarm({ builders: ['builder-a', 'builder-b'], heartbeatMs: HEARTBEAT_MS, builderBackend: 'native' });
  }, 120_000);
  afterAll(async () => farm?.close());

  it('builds the same inputs on the other builder and reports the binaries identical', async () => {
    const repository = makeDebianPackageRepository({ package: `repro-${id}` });
    const original = await farm.submit({ package: repository.package, version: '1.0', url: repository.url });
    const built = (await farm.waitForJob(original.id, 'to finish', isFinished)) as CheckedJob;
    expect(built.status).toBe('Done');
    expect(built.builder).toMatch(/^builder-[ab]$/);
    const commit = built.inputs as unknown as { sourceRevision: string };

    const response = await farm.post(`/job/${original.id}/rebuild-check`);
    expect(response.status).toBe(201);
    const check = (await response.json()) as CheckedJob;
    expect(response.headers.get('location')).toBe(`/job/${check.id}`);
    expect(check).toMatchObject({ rebuildOf: original.id, source: { method: 'git', url: repository.url, ref: commit.sourceRevision } });

    const rebuilt = (await farm.waitForJob(check.id, 'to finish', isFinished)) as CheckedJob;
    expect(rebuilt.status).toBe('Done');
    expect(rebuilt.builder).not.toBe(built.builder);
    expect(rebuilt.rebuildCheck).toMatchObject({ of: original.id, status: 'identical' });
    expect(rebuilt.rebuildCheck?.files.length).toBeGreaterThan(0);
    expect(rebuilt.rebuildCheck?.files.every((file) => file.identical && file.originalSha256 === file.rebuiltSha256)).toBe(true);
    expect(((await farm.job(original.id)) as CheckedJob).rebuildChecks).toEqual([{ id: check.id, status: 'identical' }]);
  });

  it('refuses a check of a job that is not Done, naming why', async () => {
    const repository = makeDebianPackageRepository({ package: `broken-${id}`, broken: true });
    const failed = await farm.submit({ package: repository.package, version: '1.0', url: repository.url });
    await farm.waitForJob(failed.id, 'to finish', isFinished);
    const response = await farm.post(`/job/${failed.id}/rebuild-check`);
    expect(response.status).toBe(409);
    expect(((await response.json()) as { code: string }).code).toBe('not_done');
  });
});
