import { catalogStreamId } from '@tsbit/domain';
import { form, jobBody, startHarness, type Harness } from '../../testing/harness';

describe('the catalogue resources', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const admin = (method: 'POST' | 'PUT' | 'DELETE' | 'GET', url: string, payload?: Record<string, unknown>) =>
    h.call({ method, url, headers: h.as('admin'), ...(payload ? { payload } : {}) });
  const adminForm = (method: 'POST' | 'PUT', url: string, fields: Record<string, string | string[]>) => {
    const { headers, payload } = form(fields);
    return h.call({ method, url, headers: { ...h.as('admin'), ...headers }, payload });
  };
  const get = async (url: string) => (await h.call({ method: 'GET', url })).json();

  describe('arch, dist, format, env', () => {
    it('lists, shows, pages and counts entries', async () => {
      expect(await get('/arch')).toEqual([
        { name: 'amd64', description: '' },
        { name: 'arm64', description: '' },
        { name: 'i386', description: '' },
      ]);
      expect(await get('/arch/')).toHaveLength(3);
      expect(await get('/dist/debian')).toEqual({ name: 'debian', description: 'Debian' });
      expect(await get('/format')).toEqual([{ name: 'deb', description: '' }]);
      expect(await get('/env')).toEqual([]);
      expect(await get('/arch/count')).toEqual({ total: 3, pages: 1, pageSize: 50 });
      expect(await get('/arch/page/1')).toHaveLength(3);
      expect(await get('/arch/page/2')).toEqual([]);
      expect(await get('/arch/page/0')).toMatchObject({ status: 400, field: 'n' });
      const missing = await h.call({ method: 'GET', url: '/arch/sparc' });
      expect([missing.statusCode, missing.json().detail]).toEqual([404, 'no arch "sparc"']);
    });

    it('adds entries from JSON or form fields (admin), 201 with Location, and records who did it', async () => {
      const added = await admin('POST', '/arch', { name: 'riscv64', description: 'RISC-V' });
      expect([added.statusCode, added.headers.location, added.json()]).toEqual([201, '/arch/riscv64', { name: 'riscv64', description: 'RISC-V' }]);
      expect((await adminForm('PUT', '/env/', { name: 'chroot' })).statusCode).toBe(201);
      expect((await adminForm('POST', '/format/', { name: 'rpm' })).statusCode).toBe(201);
      expect((await admin('PUT', '/dist', { name: 'ubuntu' })).statusCode).toBe(201);
      expect(await get('/env')).toEqual([{ name: 'chroot', description: '' }]);
      const last = (await h.log.readStream(catalogStreamId)).at(-1);
      expect(last?.metadata).toMatchObject({ causedBy: { kind: 'user', name: 'admin-user' } });
    });

    it('refuses bad entries: 400 naming the field, 409 for a duplicate, 401 and 403 without the admin role', async () => {
      expect((await admin('POST', '/arch', {})).json()).toMatchObject({ status: 400, field: 'name' });
      expect((await admin('POST', '/arch', { name: 'sh4', colour: 'red' })).json()).toMatchObject({ status: 400, field: 'colour' });
      expect((await admin('POST', '/arch', { name: 'not a name' })).json()).toMatchObject({ status: 400, field: 'name' });
      expect((await admin('POST', '/arch', { name: 'amd64' })).json()).toMatchObject({ status: 409, field: 'name' });
      expect((await h.call({ method: 'POST', url: '/arch', payload: { name: 'sh4' } })).statusCode).toBe(401);
      expect((await h.call({ method: 'POST', url: '/arch', headers: h.as('submitter'), payload: { name: 'sh4' } })).statusCode).toBe(403);
    });

    it('removes entries by DELETE, or GET or POST on /delete: 200, 404 when absent, 409 while a suite uses it', async () => {
      for (const name of ['m68k', 'alpha', 'hppa']) expect((await admin('POST', '/arch', { name })).statusCode).toBe(201);
      expect((await admin('DELETE', '/arch/m68k')).json()).toEqual({ deleted: 'm68k' });
      expect((await admin('GET', '/arch/alpha/delete')).statusCode).toBe(200);
      expect((await admin('POST', '/arch/hppa/delete')).statusCode).toBe(200);
      expect((await admin('DELETE', '/arch/m68k')).statusCode).toBe(404);
      const used = await admin('DELETE', '/arch/arm64');
      expect([used.statusCode, used.json().detail]).toEqual([409, 'arch "arm64" is used by suite bookworm']);
      expect((await h.call({ method: 'DELETE', url: '/arch/i386', headers: h.as('submitter') })).statusCode).toBe(403);
    });
  });

  describe('suite', () => {
    it('lists suites with their master architecture', async () => {
      expect(await get('/suite/bookworm')).toEqual({
        name: 'bookworm',
        dist: 'debian',
        arches: [
          { arch: 'amd64', masterWeight: 10 },
          { arch: 'arm64', masterWeight: 5 },
          { arch: 'i386', masterWeight: 1 },
        ],
        formats: ['deb'],
        envs: [],
        masterArch: 'amd64',
        keyrings: ['/usr/share/keyrings/debian-keyring.gpg', '/usr/share/keyrings/debian-maintainers.gpg', '/usr/share/keyrings/debian-nonupload.gpg'],
        checkSignatures: true,
        lintian: true,
      });
      expect((await get('/suite')).map((suite: { name: string }) => suite.name)).toContain('bookworm');
    });

    it('defines a suite from JSON (arches with weights, or names with the master first) or from form fields; redefines with 200', async () => {
      const weighted = await admin('POST', '/suite', { name: 'trixie', dist: 'debian', arches: [{ arch: 'amd64', masterWeight: 1 }, { arch: 'arm64', masterWeight: 2 }], formats: ['deb'], envs: ['chroot'] });
      expect([weighted.statusCode, weighted.headers.location]).toEqual([201, '/suite/trixie']);
      expect(weighted.json()).toMatchObject({ masterArch: 'arm64', envs: ['chroot'] });
      const named = await admin('POST', '/suite/', { name: 'forky', dist: 'debian', arches: ['i386', 'amd64'], formats: 'deb' });
      expect(named.json()).toMatchObject({ masterArch: 'i386', arches: [{ arch: 'i386', masterWeight: 2 }, { arch: 'amd64', masterWeight: 1 }] });
      const fromForm = await adminForm('POST', '/suite', { name: 'sid', dist: 'debian', arches: 'arm64,amd64', formats: 'deb' });
      expect([fromForm.statusCode, fromForm.json().masterArch]).toEqual([201, 'arm64']);
      const redefined = await adminForm('PUT', '/suite', { name: 'sid', dist: 'debian', arches: ['amd64', 'arm64'], formats: ['deb', 'rpm'] });
      expect([redefined.statusCode, redefined.json().masterArch, redefined.json().formats]).toEqual([200, 'amd64', ['deb', 'rpm']]);
    });

    it("sets a suite's keyrings and lintian: left out, the dist's defaults; [] an explicit choice not to check; kept when an arch is added", async () => {
      const own = await admin('PUT', '/suite/duke', { dist: 'debian', arches: ['amd64'], formats: ['deb'], keyrings: ['/etc/tsbit/uploaders.gpg'], lintian: false });
      expect(own.json()).toMatchObject({ keyrings: ['/etc/tsbit/uploaders.gpg'], checkSignatures: true, lintian: false });
      await adminForm('POST', '/suitearch', { suite_id: 'duke', arch_id: 'arm64' });
      expect(await get('/suite/duke')).toMatchObject({ keyrings: ['/etc/tsbit/uploaders.gpg'], lintian: false, arches: [{ arch: 'amd64' }, { arch: 'arm64' }] });
      const unchecked = await admin('PUT', '/suite/duke', { dist: 'debian', arches: ['amd64'], formats: ['deb'], keyrings: [] });
      expect(unchecked.json()).toMatchObject({ keyrings: [], checkSignatures: false, lintian: true });
      expect((await admin('PUT', '/suite/duke', { dist: 'debian', arches: ['amd64'], formats: ['deb'], keyrings: ['relative.gpg'] })).json()).toMatchObject({ status: 400, field: 'keyrings' });
    });

    it('refuses a dsc or apt job for a suite with no keyring to check it against, 422 naming source.method', async () => {
      await admin('POST', '/dist', { name: 'internal' });
      await admin('POST', '/suite', { name: 'products', dist: 'internal', arches: ['amd64'], formats: ['deb'] });
      const refused = await h.call({ method: 'POST', url: '/job', headers: h.as('submitter'), payload: jobBody({ package: 'in-products', suite: 'products', source: { method: 'apt', ref: '1.0' } }) });
      expect(refused.json()).toMatchObject({ status: 422, field: 'source.method' });
      await admin('PUT', '/suite/products', { dist: 'internal', arches: ['amd64'], formats: ['deb'], keyrings: [] });
      const accepted = await h.call({ method: 'POST', url: '/job', headers: h.as('submitter'), payload: jobBody({ package: 'in-products', suite: 'products', source: { method: 'apt', ref: '1.0' } }) });
      expect(accepted.statusCode).toBe(201);
      expect(accepted.json()).toMatchObject({ source: { method: 'apt', url: '', ref: '1.0' } });
    });

    it('refuses a suite naming the field: 400 for what is missing, 422 for what the catalogue lacks', async () => {
      expect((await admin('POST', '/suite', { name: 'bad', dist: 'debian', formats: ['deb'] })).json()).toMatchObject({ status: 400, field: 'arches' });
      expect((await admin('POST', '/suite', { name: 'bad', dist: 'debian', arches: ' , ', formats: ['deb'] })).json()).toMatchObject({ status: 400, field: 'arches' });
      expect((await admin('POST', '/suite', { name: 'bad', dist: 'debian', arches: ['sparc'], formats: ['deb'] })).json()).toMatchObject({ status: 422, field: 'arches' });
      expect((await admin('POST', '/suite', { name: 'bad', dist: 'gentoo', arches: ['amd64'], formats: ['deb'] })).json()).toMatchObject({ status: 422, field: 'dist' });
      // With two distributions and two formats known, neither may be left out.
      await admin('POST', '/dist', { name: 'devuan' });
      await admin('POST', '/format', { name: 'tarball' });
      expect((await admin('POST', '/suite', { name: 'bad', arches: ['amd64'], formats: ['deb'] })).json()).toMatchObject({ status: 400, field: 'dist' });
      expect((await admin('POST', '/suite', { name: 'bad', dist: 'debian', arches: ['amd64'] })).json()).toMatchObject({ status: 400, field: 'formats' });
      // A union's failure names the union's field (the service kit picks the first branch's error).
      expect((await admin('POST', '/suite', { name: 'bad', dist: 'debian', arches: [{ arch: 'amd64', masterWeight: -1 }], formats: ['deb'] })).json()).toMatchObject({ status: 400, field: expect.stringMatching(/^arches/) });
    });

    it('removes a suite; 404 when absent', async () => {
      await admin('POST', '/suite', { name: 'doomed', dist: 'debian', arches: ['amd64'], formats: ['deb'] });
      expect((await admin('DELETE', '/suite/doomed')).statusCode).toBe(200);
      expect((await admin('GET', '/suite/doomed/delete')).statusCode).toBe(404);
    });

    it('refuses to remove a suite that unfinished jobs are for: 409 naming one', async () => {
      await admin('POST', '/suite', { name: 'busy', dist: 'debian', arches: ['amd64'], formats: ['deb'] });
      const job = await h.call({ method: 'POST', url: '/job', headers: h.as('submitter'), payload: jobBody({ package: 'in-busy', suite: 'busy' }) });
      expect(job.statusCode).toBe(201);
      const refused = await admin('POST', '/suite/busy/delete');
      expect(refused.json()).toMatchObject({ status: 409, detail: `suite "busy" has unfinished jobs (job ${job.json().id}, ...): cancel them first` });
      expect((await h.call({ method: 'POST', url: `/job/${job.json().id}/cancel`, headers: h.as('submitter') })).statusCode).toBe(202);
      expect((await admin('DELETE', '/suite/busy')).statusCode).toBe(200);
    });
  });

  describe('suitearch', () => {
    it('lists suite architectures with their master weight', async () => {
      const all = await get('/suitearch');
      expect(all).toContainEqual({ id: 'bookworm:amd64', suite: 'bookworm', arch: 'amd64', masterWeight: 10, master: true });
      expect(await get('/suitearch/bookworm:i386')).toEqual({ id: 'bookworm:i386', suite: 'bookworm', arch: 'i386', masterWeight: 1, master: false });
      expect((await h.call({ method: 'GET', url: '/suitearch/bookworm:sparc' })).statusCode).toBe(404);
    });

    it("adds an architecture to a suite or changes its weight from pyBit's form fields", async () => {
      expect((await admin('POST', '/suite', { name: 'bullseye', dist: 'debian', arches: ['amd64'], formats: ['deb'] })).statusCode).toBe(201);
      const added = await adminForm('POST', '/suitearch', { suite_id: 'bullseye', arch_id: 'arm64', master_weight: '1' });
      expect([added.statusCode, added.headers.location, added.json()]).toEqual([201, '/suitearch/bullseye%3Aarm64', { id: 'bullseye:arm64', suite: 'bullseye', arch: 'arm64', masterWeight: 1, master: false }]);
      const heavier = await admin('PUT', '/suitearch/', { suite: 'bullseye', arch: 'arm64', masterWeight: 50 });
      expect([heavier.statusCode, heavier.json().master]).toEqual([200, true]);
      expect((await get('/suite/bullseye')).masterArch).toBe('arm64');
    });

    it('refuses suite architectures naming the field, and removes them unless it is the last', async () => {
      await admin('POST', '/suite', { name: 'buster', dist: 'debian', arches: ['amd64', 'arm64'], formats: ['deb'] });
      expect((await adminForm('POST', '/suitearch', { suite_id: 'nosuch', arch_id: 'amd64' })).json()).toMatchObject({ status: 422, field: 'suite_id' });
      expect((await adminForm('POST', '/suitearch', { suite_id: 'buster', arch_id: 'sparc' })).json()).toMatchObject({ status: 422, field: 'arch_id' });
      expect((await adminForm('POST', '/suitearch', { suite_id: 'buster' })).json()).toMatchObject({ status: 400, field: 'arch_id' });
      expect((await adminForm('POST', '/suitearch', { suite_id: 'buster', arch_id: 'amd64', master_weight: 'heavy' })).json()).toMatchObject({ status: 400, field: 'master_weight' });
      expect((await admin('DELETE', '/suitearch/buster:arm64')).json()).toEqual({ deleted: 'buster:arm64' });
      expect((await admin('DELETE', '/suitearch/buster:arm64')).statusCode).toBe(404);
      expect((await admin('POST', '/suitearch/buster:amd64/delete')).statusCode).toBe(409);
    });
  });

  describe('status', () => {
    it("lists pyBit's job statuses, read-only", async () => {
      expect((await get('/status')).map((status: { name: string }) => status.name)).toEqual(['Waiting', 'Blocked', 'Building', 'Cancelling', 'Done', 'Failed', 'Cancelled', 'Uploaded']);
      expect(await get('/status/Done')).toEqual({ name: 'Done' });
      expect(await get('/status/count')).toEqual({ total: 8, pages: 1, pageSize: 50 });
      expect((await h.call({ method: 'GET', url: '/status/Lost' })).statusCode).toBe(404);
      expect((await admin('POST', '/status', { name: 'Lost' })).statusCode).toBe(404);
    });
  });
});

/** The items of each page, following `Link: rel="next"` from `url` to the last page. */
async function pagesOf(h: Harness, url: string): Promise<{ name: string }[][]> {
  const pages: { name: string }[][] = [];
  for (let next: string | undefined = url; next !== undefined; ) {
    const response = await h.call({ method: 'GET', url: next });
    expect(response.statusCode).toBe(200);
    pages.push(response.json());
    next = /^<([^>]+)>; rel="next"$/.exec(String(response.headers.link ?? ''))?.[1];
  }
  return pages;
}

describe('the catalogue lists: filter, sort, page with a cursor', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const admin = (method: 'POST' | 'PUT', url: string, payload: Record<string, unknown>) => h.call({ method, url, headers: h.as('admin'), payload });
  const names = (items: { name: string }[]) => items.map((item) => item.name);

  it('filters by exact match, sorts either way, and counts the filtered items in X-Total-Count', async () => {
    const descending = await h.call({ method: 'GET', url: '/arch?sort=-name' });
    expect([names(descending.json()), descending.headers['x-total-count'], descending.headers.link]).toEqual([['i386', 'arm64', 'amd64'], '3', undefined]);
    const one = await h.call({ method: 'GET', url: '/arch/?name=arm64' });
    expect([names(one.json()), one.headers['x-total-count']]).toEqual([['arm64'], '1']);
    expect((await h.call({ method: 'GET', url: '/dist?description=Debian' })).json()).toEqual([{ name: 'debian', description: 'Debian' }]);
    expect(names((await h.call({ method: 'GET', url: '/status?sort=name&limit=2' })).json())).toEqual(['Blocked', 'Building']);
  });

  it('pages with the cursor of the Link header: no entry lost or repeated, even when entries are added meanwhile', async () => {
    const first = await h.call({ method: 'GET', url: '/arch?limit=2' });
    expect(names(first.json())).toEqual(['amd64', 'arm64']);
    expect(first.headers.link).toMatch(/^<\/arch\?limit=2&cursor=[\w-]+>; rel="next"$/);
    expect((await admin('POST', '/arch', { name: 'alpha' })).statusCode).toBe(201);
    expect((await admin('POST', '/arch', { name: 'sparc64' })).statusCode).toBe(201);
    const next = /<([^>]+)>/.exec(String(first.headers.link))?.[1] as string;
    expect(names((await pagesOf(h, next)).flat())).toEqual(['i386', 'sparc64']);
    expect((await pagesOf(h, '/arch?limit=2&sort=-name')).map(names)).toEqual([['sparc64', 'i386'], ['arm64', 'amd64'], ['alpha']]);
  });

  it('filters suites by their fields, a list field when it holds the value, and pages them', async () => {
    await admin('POST', '/format', { name: 'rpm' });
    for (const [name, formats] of [['trixie', ['deb']], ['forky', ['deb', 'rpm']], ['el9', ['rpm']]] as const) {
      expect((await admin('POST', '/suite', { name, dist: 'debian', arches: ['arm64', 'amd64'], formats })).statusCode).toBe(201);
    }
    expect(names((await h.call({ method: 'GET', url: '/suite?formats=rpm' })).json())).toEqual(['el9', 'forky']);
    expect(names((await h.call({ method: 'GET', url: '/suite?masterArch=arm64&formats=deb' })).json())).toEqual(['forky', 'trixie']);
    expect((await pagesOf(h, '/suite?limit=1&sort=-name')).map(names)).toEqual([['trixie'], ['forky'], ['el9'], ['bookworm']]);
    const arches = (await h.call({ method: 'GET', url: '/suitearch?suite=bookworm&sort=-masterWeight' })).json();
    expect(arches.map((entry: { arch: string }) => entry.arch)).toEqual(['amd64', 'arm64', 'i386']);
  });

  it('refuses an unknown sort, a cursor it did not hand out or one of another sort, and unknown filters: 400 naming the parameter', async () => {
    const problem = async (url: string) => (await h.call({ method: 'GET', url })).json();
    expect(await problem('/arch?sort=colour')).toMatchObject({ status: 400, field: 'sort' });
    expect(await problem('/suite?sort=formats')).toMatchObject({ status: 400, field: 'sort' });
    expect(await problem('/arch?cursor=!!')).toMatchObject({ status: 400, field: 'cursor' });
    const link = (await h.call({ method: 'GET', url: '/arch?limit=1' })).headers.link;
    const cursor = /cursor=([\w-]+)/.exec(String(link))?.[1];
    expect(await problem(`/arch?sort=-name&cursor=${cursor}`)).toMatchObject({ status: 400, field: 'cursor' });
    expect(await problem('/arch?colour=red')).toMatchObject({ status: 400, field: 'colour' });
    expect(await problem('/arch?limit=0')).toMatchObject({ status: 400, field: 'limit' });
  });

  it('declares the query and the headers in the OpenAPI document', async () => {
    const document = (await h.call({ method: 'GET', url: '/openapi.json' })).json();
    const list = document.paths['/suite'].get;
    expect(list.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(expect.arrayContaining(['name', 'dist', 'formats', 'masterArch', 'sort', 'limit', 'cursor']));
    expect(list.parameters.find((parameter: { name: string }) => parameter.name === 'sort').schema.enum).toContain('-name');
    expect(Object.keys(list.responses['200'].headers)).toEqual(['x-total-count', 'link']);
    expect(Object.keys(document.paths['/suite/{id}'])).toEqual(expect.arrayContaining(['get', 'put', 'delete']));
  });
});

describe('PUT /<r>/:id: create or replace the one named in the path', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const put = (url: string, payload: Record<string, unknown>, role: 'admin' | 'submitter' = 'admin') => h.call({ method: 'PUT', url, headers: h.as(role), payload });

  it('adds an entry (201, Location), finds it so already (200), and refuses another description: the catalogue cannot change one', async () => {
    const added = await put('/arch/riscv64', { description: 'RISC-V' });
    expect([added.statusCode, added.headers.location, added.json()]).toEqual([201, '/arch/riscv64', { name: 'riscv64', description: 'RISC-V' }]);
    expect((await put('/arch/riscv64', { name: 'riscv64', description: 'RISC-V' })).statusCode).toBe(200);
    expect((await put('/arch/riscv64', { description: 'another' })).json()).toMatchObject({ status: 409, field: 'description' });
    const { headers, payload } = form({ description: 'SuperH' });
    expect((await h.call({ method: 'PUT', url: '/env/sh4', headers: { ...h.as('admin'), ...headers }, payload })).statusCode).toBe(201);
    expect((await h.call({ method: 'GET', url: '/env/sh4' })).json()).toEqual({ name: 'sh4', description: 'SuperH' });
  });

  it('defines a suite named in the path (201), redefines it (200), and refuses a body naming another', async () => {
    const defined = await put('/suite/trixie', { dist: 'debian', arches: 'arm64,amd64', formats: 'deb' });
    expect([defined.statusCode, defined.headers.location, defined.json().masterArch]).toEqual([201, '/suite/trixie', 'arm64']);
    const redefined = await put('/suite/trixie', { name: 'trixie', arches: ['amd64', 'arm64', 'i386'] });
    expect([redefined.statusCode, redefined.json().masterArch, redefined.json().arches]).toEqual([200, 'amd64', [{ arch: 'amd64', masterWeight: 3 }, { arch: 'arm64', masterWeight: 2 }, { arch: 'i386', masterWeight: 1 }]]);
    expect((await h.call({ method: 'GET', url: '/suite/trixie' })).json().masterArch).toBe('amd64');
    expect((await put('/suite/trixie', { name: 'forky', arches: 'amd64' })).json()).toMatchObject({ status: 400, field: 'name' });
    expect((await put('/suite/sid', { arches: 'sparc' })).json()).toMatchObject({ status: 422, field: 'arches' });
  });

  it('adds the architecture of the path to its suite (201) or sets its master weight (200); 422 for a suite it lacks', async () => {
    const added = await put('/suitearch/bookworm:riscv64', { master_weight: 0 });
    expect([added.statusCode, added.headers.location, added.json()]).toEqual([201, '/suitearch/bookworm%3Ariscv64', { id: 'bookworm:riscv64', suite: 'bookworm', arch: 'riscv64', masterWeight: 0, master: false }]);
    const heavier = await put('/suitearch/bookworm:i386', { masterWeight: 99 });
    expect([heavier.statusCode, heavier.json().master]).toEqual([200, true]);
    expect((await put('/suitearch/nosuch:amd64', {})).json()).toMatchObject({ status: 422, field: 'suite_id' });
    expect((await put('/suitearch/bookworm:amd64', { arch_id: 'arm64' })).json()).toMatchObject({ status: 400, field: 'arch_id' });
    expect((await put('/suitearch/bookworm', {})).json()).toMatchObject({ status: 400, field: 'id' });
  });

  it('needs the admin role; status stays read-only', async () => {
    expect((await h.call({ method: 'PUT', url: '/arch/m68k', payload: {} })).statusCode).toBe(401);
    expect((await put('/arch/m68k', {}, 'submitter')).statusCode).toBe(403);
    expect((await put('/status/Done', {})).statusCode).toBe(404);
  });

  it('takes a PUT without a body as an empty one', async () => {
    expect((await h.call({ method: 'PUT', url: '/arch/m68k', headers: h.as('admin') })).statusCode).toBe(201);
    expect((await h.call({ method: 'PUT', url: '/suite/bare', headers: h.as('admin') })).json()).toMatchObject({ status: 400, field: 'arches' });
  });
});
