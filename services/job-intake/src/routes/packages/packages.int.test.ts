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

/** The items of each page, following `Link: rel="next"` from `url` to the last page. */
async function pagesOf<T>(h: Harness, url: string): Promise<T[][]> {
  const pages: T[][] = [];
  for (let next: string | undefined = url; next !== undefined; ) {
    const response = await h.call({ method: 'GET', url: next });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    pages.push(Array.isArray(body) ? body : body.items);
    next = /^<([^>]+)>; rel="next"$/.exec(String(response.headers.link ?? ''))?.[1];
  }
  return pages;
}

interface Instance {
  package: string;
  version: string;
  arch: string;
  master: boolean;
  jobs: number[];
}

describe('the /package and /packageinstance lists: filter, sort, page with a cursor', () => {
  let h: Harness;
  let ids: number[];
  beforeAll(async () => {
    h = await startHarness();
    const jobs = [jobBody({ package: 'pkgres', version: '1.0-1' }), jobBody({ package: 'pkgres', version: '1.1-1', arch: 'any' }), jobBody({ package: 'other', version: '3.0-1' })];
    const response = await h.call({ method: 'POST', url: '/job/batch', headers: h.as('submitter'), payload: { jobs } });
    ids = response.json().ids;
  });
  afterAll(() => h.close());

  const get = (url: string) => h.call({ method: 'GET', url });
  const versions = (entries: { name: string; version: string }[]) => entries.map((entry) => `${entry.name} ${entry.version}`);
  const instanceKey = (instance: Instance) => `${instance.package} ${instance.version} ${instance.arch}`;

  it('filters package versions, sorts them, and pages through each once', async () => {
    const pkgres = await get('/package?name=pkgres');
    expect([versions(pkgres.json()), pkgres.headers['x-total-count']]).toEqual([['pkgres 1.0-1', 'pkgres 1.1-1'], '2']);
    expect(versions((await get('/package?sort=-name')).json())).toEqual(['pkgres 1.1-1', 'pkgres 1.0-1', 'other 3.0-1']);
    expect(versions((await get('/package?unfinished=3')).json())).toEqual(['pkgres 1.1-1']);
    expect((await pagesOf<{ name: string; version: string }>(h, '/package?limit=2')).map(versions)).toEqual([['other 3.0-1', 'pkgres 1.0-1'], ['pkgres 1.1-1']]);
  });

  it('filters package instances by their fields, by master, by a job they hold; pages through each once', async () => {
    const arm64 = await get('/packageinstance?arch=arm64');
    expect([arm64.json().map(instanceKey), arm64.headers['x-total-count']]).toEqual([['pkgres 1.1-1 arm64'], '1']);
    expect((await get('/packageinstance?master=true&package=pkgres')).json().map(instanceKey)).toEqual(['pkgres 1.0-1 amd64', 'pkgres 1.1-1 amd64']);
    expect((await get(`/packageinstance?jobs=${ids[0]}`)).json().map(instanceKey)).toEqual(['pkgres 1.0-1 amd64']);
    const pages = await pagesOf<Instance>(h, '/packageinstance?limit=2&sort=-package');
    expect(pages.map((page) => page.map(instanceKey))).toEqual([
      ['pkgres 1.1-1 i386', 'pkgres 1.1-1 arm64'],
      ['pkgres 1.1-1 amd64', 'pkgres 1.0-1 amd64'],
      ['other 3.0-1 amd64'],
    ]);
  });

  it('refuses an unknown sort, a bad cursor, a filter of the wrong type: 400 naming the parameter', async () => {
    expect((await get('/package?sort=size')).json()).toMatchObject({ status: 400, field: 'sort' });
    expect((await get('/packageinstance?sort=jobs')).json()).toMatchObject({ status: 400, field: 'sort' });
    expect((await get('/packageinstance?cursor=!!')).json()).toMatchObject({ status: 400, field: 'cursor' });
    expect((await get('/packageinstance?master=perhaps')).json()).toMatchObject({ status: 400, field: 'master' });
    expect((await get('/package?limit=5000')).json()).toMatchObject({ status: 400, field: 'limit' });
  });

  it('pages with the cursor either way, each item once; tells the total when a page of it is cheap to count', async () => {
    const wholeVersions = versions((await get('/package')).json());
    const wholeInstances = (await get('/packageinstance')).json().map(instanceKey);
    for (const limit of [1, 2, 3]) {
      expect((await pagesOf<{ name: string; version: string }>(h, `/package?limit=${limit}`)).flatMap(versions)).toEqual(wholeVersions);
      expect((await pagesOf<{ name: string; version: string }>(h, `/package?limit=${limit}&sort=-name`)).flatMap(versions)).toEqual([...wholeVersions].reverse());
      expect((await pagesOf<Instance>(h, `/packageinstance?limit=${limit}`)).flat().map(instanceKey)).toEqual(wholeInstances);
      expect((await pagesOf<Instance>(h, `/packageinstance?limit=${limit}&sort=-package`)).flat().map(instanceKey)).toEqual([...wholeInstances].reverse());
    }
    expect((await get('/package?sort=name')).json()).toEqual((await get('/package')).json());
    const paged = await get('/package?limit=1');
    expect([paged.headers['x-total-count'], (await get('/package')).headers['x-total-count']]).toEqual([undefined, '3']);
    const second = await get(String(/^<([^>]+)>/.exec(String((await get('/package?name=pkgres&limit=1')).headers.link))?.[1]));
    expect([versions(second.json()), second.headers['x-total-count'], second.headers.link]).toEqual([['pkgres 1.1-1'], '2', undefined]);
    expect((await get('/packageinstance?package=pkgres&limit=1')).headers['x-total-count']).toBe('4');
  });

  it('filters by each key field, exactly', async () => {
    expect(versions((await get('/package?version=3.0-1')).json())).toEqual(['other 3.0-1']);
    expect(versions((await get('/package?name=pkgres&version=1.0-1&jobs=1')).json())).toEqual(['pkgres 1.0-1']);
    expect((await get('/packageinstance?version=1.1-1&suite=bookworm&format=deb&dist=debian')).json().map(instanceKey)).toEqual(['pkgres 1.1-1 amd64', 'pkgres 1.1-1 arm64', 'pkgres 1.1-1 i386']);
    expect((await get('/packageinstance?env=')).json()).toHaveLength(5);
    expect((await get('/packageinstance?env=none')).json()).toEqual([]);
    expect((await get(`/packageinstance?jobs=${ids.at(-1)}`)).json().map(instanceKey)).toEqual(['other 3.0-1 amd64']);
    expect((await get('/packageinstance?master=false')).json().map(instanceKey)).toEqual(['pkgres 1.1-1 arm64', 'pkgres 1.1-1 i386']);
  });

  it('sorts only in key order, and takes only its own cursors: 400 naming sort or cursor', async () => {
    const bySort = await get('/package?sort=version');
    expect([bySort.statusCode, bySort.json().field, bySort.json().detail]).toEqual([400, 'sort', expect.stringContaining('"name" or "-name"')]);
    expect((await get('/packageinstance?sort=-arch')).json()).toMatchObject({ status: 400, field: 'sort', detail: expect.stringContaining('"package" or "-package"') });
    const cursorOf = async (url: string) => new URL(String(/^<([^>]+)>/.exec(String((await get(url)).headers.link))?.[1]), 'http://x').searchParams.get('cursor');
    const versionCursor = await cursorOf('/package?limit=1');
    const instanceCursor = await cursorOf('/packageinstance?limit=1');
    const foreign = Buffer.from(JSON.stringify({ sort: '', after: [1, 2, 3, 4, 5, 6, 7] })).toString('base64url');
    for (const url of [`/packageinstance?cursor=${versionCursor}`, `/package?cursor=${instanceCursor}`, `/packageinstance?sort=-package&cursor=${instanceCursor}`, `/packageinstance?cursor=${foreign}`, '/package?cursor=bm9wZQ']) {
      expect([url, (await get(url)).json()]).toEqual([url, expect.objectContaining({ status: 400, field: 'cursor' })]);
    }
  });

  it('pages the jobs of a package version with the cursor it hands out; a filter that matches none is an empty page', async () => {
    const first = await get('/package/details/pkgres/1.1-1?limit=2');
    expect([first.json().items.length, first.json().total]).toEqual([2, 3]);
    expect(first.headers.link).toMatch(/^<\/package\/details\/pkgres\/1\.1-1\?limit=2&cursor=[\w-]+>; rel="next"$/);
    const pages = await pagesOf<{ id: number }>(h, '/package/details/pkgres/1.1-1?limit=2');
    expect(pages.map((page) => page.length)).toEqual([2, 1]);
    expect(new Set(pages.flat().map((job) => job.id)).size).toBe(3);
    expect((await get(`/package/details/pkgres/1.1-1?cursor=${first.json().nextCursor}`)).json().items).toHaveLength(1);
    expect((await get('/package/details/pkgres/1.1-1?status=Done')).json()).toEqual({ items: [], nextCursor: null, total: 0 });
    expect((await get('/package/details/pkgres/1.1-1?cursor=!!')).json()).toMatchObject({ status: 400, field: 'cursor' });
    expect((await get('/package/details/pkgres/9.9?status=Done')).statusCode).toBe(404);
  });
});

describe('/packageinstance beyond one page of jobs', () => {
  // More jobs than the read model hands out in one page (1000): the instances come from all of them.
  const JOBS = 1100;
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const jobs = Array.from({ length: JOBS }, (_, index) => jobBody({ package: `mass-${String(index).padStart(4, '0')}` }));
    expect((await h.call({ method: 'POST', url: '/job/batch', headers: h.as('submitter'), payload: { jobs } })).statusCode).toBe(201);
  });
  afterAll(() => h.close());

  it('groups every job, and pages through every instance once', async () => {
    // Counting every instance on each page would cost more than the page: only whole answers and /count tell it.
    expect((await h.call({ method: 'GET', url: '/packageinstance?limit=1' })).headers['x-total-count']).toBeUndefined();
    expect((await h.call({ method: 'GET', url: '/packageinstance' })).headers['x-total-count']).toBe(String(JOBS));
    expect((await h.call({ method: 'GET', url: '/packageinstance/count' })).json()).toEqual({ total: JOBS, pages: Math.ceil(JOBS / 50), pageSize: 50 });
    expect((await h.call({ method: 'GET', url: '/packageinstance/page/22' })).json()).toHaveLength(JOBS - 21 * 50);
    const pages = await pagesOf<Instance>(h, '/packageinstance?limit=1000');
    expect(pages.map((page) => page.length)).toEqual([1000, JOBS - 1000]);
    expect(new Set(pages.flat().map((instance) => instance.package)).size).toBe(JOBS);
    expect(pages[0]?.[0]?.package).toBe('mass-0000');
  });
});
