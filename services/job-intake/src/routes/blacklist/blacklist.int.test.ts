import { form, jobBody, startHarness, type Harness } from '../../testing/harness';

describe('/blacklist', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const submitStatus = async (change: Record<string, unknown>) => (await h.call({ method: 'POST', url: '/job', headers: h.as('submitter'), payload: jobBody(change) })).statusCode;

  it('adds rules from JSON or form fields, numbered by the catalogue, and refuses matching submissions', async () => {
    const byName = await h.call({ method: 'POST', url: '/blacklist', headers: h.as('admin'), payload: { field: 'name', regex: '^evil-' } });
    expect([byName.statusCode, byName.headers.location, byName.json()]).toEqual([201, '/blacklist/1', { ruleId: 1, field: 'name', regex: '^evil-' }]);
    const { headers, payload } = form({ field: 'vcs_uri', regex: 'untrusted\\.example' });
    const byUri = await h.call({ method: 'PUT', url: '/blacklist/', headers: { ...h.as('admin'), ...headers }, payload });
    expect(byUri.json()).toEqual({ ruleId: 2, field: 'vcs_uri', regex: 'untrusted\\.example' });
    expect(await submitStatus({ package: 'evil-twin' })).toBe(422);
    expect(await submitStatus({ package: 'good-twin', source: { method: 'git', url: 'https://untrusted.example/x.git' } })).toBe(422);
    expect(await submitStatus({ package: 'good-twin' })).toBe(201);
  });

  it('lists, shows, pages and counts rules; 404 for none, 400 for an id that is not a number', async () => {
    const { ruleId } = (await h.call({ method: 'POST', url: '/blacklist', headers: h.as('admin'), payload: { field: 'vcs_uri', regex: '^ftp:' } })).json();
    const rules = (await h.call({ method: 'GET', url: '/blacklist' })).json();
    expect(rules).toContainEqual({ ruleId, field: 'vcs_uri', regex: '^ftp:' });
    expect((await h.call({ method: 'GET', url: `/blacklist/${ruleId}` })).json()).toEqual({ ruleId, field: 'vcs_uri', regex: '^ftp:' });
    expect((await h.call({ method: 'GET', url: '/blacklist/count' })).json()).toEqual({ total: rules.length, pages: 1, pageSize: 50 });
    expect((await h.call({ method: 'GET', url: '/blacklist/page/1' })).json()).toEqual(rules);
    expect((await h.call({ method: 'GET', url: '/blacklist/99' })).statusCode).toBe(404);
    expect((await h.call({ method: 'GET', url: '/blacklist/first' })).json()).toMatchObject({ status: 400, field: 'id' });
  });

  it('refuses bad rules with 400 naming the field, and needs the admin role', async () => {
    const post = (payload: Record<string, unknown>, role: 'admin' | 'submitter' = 'admin') => h.call({ method: 'POST', url: '/blacklist', headers: h.as(role), payload });
    expect((await post({ field: 'maintainer', regex: 'x' })).json()).toMatchObject({ status: 400, field: 'field' });
    expect((await post({ field: 'name', regex: '(' })).json()).toMatchObject({ status: 400, field: 'regex' });
    expect((await post({ field: 'name' })).json()).toMatchObject({ status: 400, field: 'regex' });
    expect((await post({ field: 'name', regex: 'x' }, 'submitter')).statusCode).toBe(403);
  });

  it('removes rules (DELETE, GET or POST /delete): 200, then 404; submissions pass again', async () => {
    const add = async (regex: string) => (await h.call({ method: 'POST', url: '/blacklist', headers: h.as('admin'), payload: { field: 'name', regex } })).json().ruleId as number;
    const [first, second] = [await add('^doomed-'), await add('^doomed-too-')];
    expect(await submitStatus({ package: 'doomed-too-pkg' })).toBe(422);
    expect((await h.call({ method: 'DELETE', url: `/blacklist/${first}`, headers: h.as('admin') })).json()).toEqual({ deleted: first });
    expect((await h.call({ method: 'GET', url: `/blacklist/${first}/delete`, headers: h.as('admin') })).statusCode).toBe(404);
    expect((await h.call({ method: 'POST', url: `/blacklist/${second}/delete`, headers: h.as('admin') })).statusCode).toBe(200);
    expect(await submitStatus({ package: 'doomed-too-pkg' })).toBe(201);
  });
});

describe('the /blacklist list: filter, sort, page with a cursor', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    for (const [field, regex] of [['name', '^a-'], ['vcs_uri', 'b\\.example'], ['name', '^c-'], ['vcs_uri', 'd\\.example'], ['name', '^e-']]) {
      expect((await h.call({ method: 'POST', url: '/blacklist', headers: h.as('admin'), payload: { field, regex } })).statusCode).toBe(201);
    }
  });
  afterAll(() => h.close());

  const get = (url: string) => h.call({ method: 'GET', url });
  const ids = (rules: { ruleId: number }[]) => rules.map((rule) => rule.ruleId);
  /** The rule ids of each page, following `Link: rel="next"` to the last page. */
  const pagesOf = async (url: string): Promise<number[][]> => {
    const pages: number[][] = [];
    for (let next: string | undefined = url; next !== undefined; ) {
      const response = await get(next);
      pages.push(ids(response.json()));
      next = /^<([^>]+)>; rel="next"$/.exec(String(response.headers.link ?? ''))?.[1];
    }
    return pages;
  };

  it('filters by field, or by a rule id given as a number, and counts them in X-Total-Count', async () => {
    const byUri = await get('/blacklist?field=vcs_uri');
    expect([ids(byUri.json()), byUri.headers['x-total-count']]).toEqual([[2, 4], '2']);
    expect((await get('/blacklist?ruleId=3')).json()).toEqual([{ ruleId: 3, field: 'name', regex: '^c-' }]);
    expect((await get('/blacklist?regex=%5Ee-')).json()).toEqual([{ ruleId: 5, field: 'name', regex: '^e-' }]);
  });

  it('pages in rule order or any sort, each rule once, also when rules are added and removed meanwhile', async () => {
    expect(await pagesOf('/blacklist?limit=2')).toEqual([[1, 2], [3, 4], [5]]);
    expect(await pagesOf('/blacklist?limit=2&sort=-ruleId&field=name')).toEqual([[5, 3], [1]]);
    expect(await pagesOf('/blacklist?limit=3&sort=field')).toEqual([[1, 3, 5], [2, 4]]);
    const first = await get('/blacklist?limit=2&sort=-ruleId');
    expect(ids(first.json())).toEqual([5, 4]);
    await h.call({ method: 'DELETE', url: '/blacklist/4', headers: h.as('admin') });
    await h.call({ method: 'POST', url: '/blacklist', headers: h.as('admin'), payload: { field: 'name', regex: '^f-' } });
    expect(await pagesOf(/<([^>]+)>/.exec(String(first.headers.link))?.[1] as string)).toEqual([[3, 2], [1]]);
  });

  it('refuses an unknown sort, a bad cursor, a rule id that is not a number: 400 naming the parameter', async () => {
    expect((await get('/blacklist?sort=regexp')).json()).toMatchObject({ status: 400, field: 'sort' });
    expect((await get('/blacklist?cursor=bm90IGEgY3Vyc29y')).json()).toMatchObject({ status: 400, field: 'cursor' });
    expect((await get('/blacklist?ruleId=first')).json()).toMatchObject({ status: 400, field: 'ruleId' });
    expect((await get('/blacklist?field=maintainer')).json()).toMatchObject({ status: 400, field: 'field' });
  });

  it('changes a rule in place with PUT /blacklist/:id, keeping its number; 404 for none, 400 for a bad rule, admins only', async () => {
    const put = (url: string, payload: Record<string, unknown>, role: 'admin' | 'submitter' = 'admin') => h.call({ method: 'PUT', url, headers: h.as(role), payload });
    expect((await put('/blacklist/1', { field: 'name', regex: '^z-' }, 'submitter')).statusCode).toBe(403);
    const changed = await put('/blacklist/1', { field: 'name', regex: '^z-' });
    expect([changed.statusCode, changed.headers.location, changed.json()]).toEqual([200, '/blacklist/1', { ruleId: 1, field: 'name', regex: '^z-' }]);
    expect((await get('/blacklist/1')).json()).toEqual({ ruleId: 1, field: 'name', regex: '^z-' });
    const submitStatus = async (name: string) => (await h.call({ method: 'POST', url: '/job', headers: h.as('submitter'), payload: jobBody({ package: name }) })).statusCode;
    expect(await submitStatus('z-ray')).toBe(422);
    expect(await submitStatus('a-ok')).toBe(201);
    expect((await put('/blacklist/1', { field: 'name', regex: '^z-' })).statusCode).toBe(200);
    expect((await put('/blacklist/999', { field: 'name', regex: 'x' })).statusCode).toBe(404);
    expect((await put('/blacklist/1', { field: 'name', regex: '(' })).json()).toMatchObject({ status: 400, field: 'regex' });
    expect((await get('/blacklist/1')).json()).toEqual({ ruleId: 1, field: 'name', regex: '^z-' });
  });
});
