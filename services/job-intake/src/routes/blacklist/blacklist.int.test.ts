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
