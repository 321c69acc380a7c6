import { jobBody, startHarness, type Harness } from '../../testing/harness';

describe('/package and /packageinstance', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    for (const job of [jobBody({ package: 'pkgres', version: '1.0-1' }), jobBody({ package: 'pkgres', version: '1.1-1', arch: 'any' }), jobBody({ package: 'other', version: '3.0-1' })]) {
      expect((await h.call({ method: 'POST', url: '/job', headers: h.as('submitter'), payload: job })).statusCode).toBe(201);
    }
  });
  afterAll(() => h.close());

  const get = async (url: string) => (await h.call({ method: 'GET', url })).json();

  it('lists package versions with their jobs, names, pages and counts', async () => {
    expect(await get('/package')).toEqual([
      { name: 'other', version: '3.0-1', jobs: 1, unfinished: 1 },
      // 1.1-1 on amd64 superseded 1.0-1 on amd64.
      { name: 'pkgres', version: '1.0-1', jobs: 1, unfinished: 0 },
      { name: 'pkgres', version: '1.1-1', jobs: 3, unfinished: 3 },
    ]);
    expect(await get('/package/')).toHaveLength(3);
    expect(await get('/package/names')).toEqual(['other', 'pkgres']);
    expect(await get('/package/count')).toEqual({ total: 3, pages: 1, pageSize: 50 });
    expect(await get('/package/page/1')).toHaveLength(3);
  });

  it('gives the versions of a package and the jobs of a version; 404 for none', async () => {
    expect((await get('/package/details/pkgres')).map((entry: { version: string }) => entry.version)).toEqual(['1.0-1', '1.1-1']);
    expect(await get('/package/other')).toEqual([{ name: 'other', version: '3.0-1', jobs: 1, unfinished: 1 }]);
    const jobs = await get('/package/details/pkgres/1.1-1');
    expect(jobs.items.map((job: { arch: string }) => job.arch).sort()).toEqual(['amd64', 'arm64', 'i386']);
    expect((await h.call({ method: 'GET', url: '/package/details/pkgres/9.9' })).statusCode).toBe(404);
    expect((await h.call({ method: 'GET', url: '/package/details/nothing-here' })).statusCode).toBe(404);
  });

  it('says whether a package is active, and cancels all its unfinished jobs (GET as pyBit, or POST)', async () => {
    expect(await get('/package/pkgres/active')).toEqual({ package: 'pkgres', active: true });
    expect((await h.call({ method: 'GET', url: '/package/pkgres/cancel' })).statusCode).toBe(401);
    const cancelled = await h.call({ method: 'GET', url: '/package/pkgres/cancel', headers: h.as('submitter') });
    expect([cancelled.statusCode, cancelled.json()]).toEqual([202, { package: 'pkgres', cancelled: 3 }]);
    expect(await get('/package/pkgres/active')).toEqual({ package: 'pkgres', active: false });
    expect((await h.call({ method: 'POST', url: '/package/pkgres/cancel', headers: h.as('submitter') })).json()).toEqual({ package: 'pkgres', cancelled: 0 });
    expect(await get('/package/other/active')).toEqual({ package: 'other', active: true });
  });

  it("groups jobs into pyBit's package instances", async () => {
    const instances = await get('/packageinstance');
    expect(instances).toHaveLength(5);
    expect(instances).toContainEqual({ package: 'pkgres', version: '1.1-1', suite: 'bookworm', arch: 'arm64', format: 'deb', dist: 'debian', env: '', master: false, jobs: [expect.any(Number)] });
    expect(await get('/packageinstance/')).toHaveLength(5);
    expect(await get('/packageinstance/count')).toEqual({ total: 5, pages: 1, pageSize: 50 });
    expect(await get('/packageinstance/page/2')).toEqual([]);
    expect((await get('/packageinstance/details/other')).map((instance: { master: boolean }) => instance.master)).toEqual([true]);
    expect((await h.call({ method: 'GET', url: '/packageinstance/details/nothing-here' })).statusCode).toBe(404);
  });
});
