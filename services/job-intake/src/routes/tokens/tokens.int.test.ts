import { form, jobBody, startHarness, type Harness } from '../../testing/harness';

describe('/token', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('issues a token shown once, which then works; lists tokens without secrets; revokes it', async () => {
    const response = await h.call({ method: 'POST', url: '/token', headers: h.as('admin'), payload: { name: 'ci-bot', role: 'submitter' } });
    expect(response.statusCode).toBe(201);
    const issued = response.json();
    expect(issued).toMatchObject({ name: 'ci-bot', role: 'submitter', token: expect.stringMatching(/^tsbit_/) });
    expect(response.headers.location).toBe(`/token/${issued.tokenId}`);
    const listed = await h.call({ method: 'GET', url: '/token', headers: h.as('admin') });
    expect(listed.json()).toContainEqual({ tokenId: issued.tokenId, name: 'ci-bot', role: 'submitter', revoked: false, issuedBy: 'admin-user', issuedAt: expect.any(String) });
    expect(listed.body).not.toContain(issued.token.split('_')[2]);

    const basic = Buffer.from(`ci-bot:${issued.token}`).toString('base64');
    const submitted = await h.call({ method: 'POST', url: '/job', headers: { authorization: `Basic ${basic}` }, payload: jobBody({ package: 'from-ci' }) });
    expect(submitted.json()).toMatchObject({ submittedBy: 'ci-bot' });

    expect((await h.call({ method: 'DELETE', url: `/token/${issued.tokenId}`, headers: h.as('admin') })).json()).toEqual({ tokenId: issued.tokenId, revoked: true });
    expect((await h.call({ method: 'POST', url: '/job', headers: { authorization: `Bearer ${issued.token}` }, payload: jobBody({ package: 'from-ci' }) })).statusCode).toBe(401);
  });

  it('lets a token work at once, before the read models have it', async () => {
    // app.inject, not h.call: nothing is projected in between.
    const issued = (await h.app.inject({ method: 'POST', url: '/token', headers: h.as('admin'), payload: { name: 'fresh-bot', role: 'submitter' } })).json();
    const submitted = await h.app.inject({ method: 'POST', url: '/job', headers: { authorization: `Bearer ${issued.token}` }, payload: jobBody({ package: 'fresh-from-bot' }) });
    expect(submitted.statusCode).toBe(201);
    expect(submitted.json()).toMatchObject({ submittedBy: 'fresh-bot' });
    const wrongSecret = `${issued.token.slice(0, -4)}AAAA`;
    expect((await h.app.inject({ method: 'POST', url: '/job', headers: { authorization: `Bearer ${wrongSecret}` }, payload: jobBody({ package: 'x' }) })).statusCode).toBe(401);
    await h.project();
  });

  it('takes form fields', async () => {
    const { headers, payload } = form({ name: 'form-bot', role: 'builder' });
    expect((await h.call({ method: 'POST', url: '/token', headers: { ...h.as('admin'), ...headers }, payload })).statusCode).toBe(201);
  });

  it('refuses bad requests naming the field, a second live token of one name, and anyone but admins', async () => {
    const issue = (payload: Record<string, unknown>, role: 'admin' | 'submitter' = 'admin') => h.call({ method: 'POST', url: '/token', headers: h.as(role), payload });
    expect((await issue({ name: 'x', role: 'root' })).json()).toMatchObject({ status: 400, field: 'role' });
    expect((await issue({ role: 'admin' })).json()).toMatchObject({ status: 400, field: 'name' });
    expect((await issue({ name: 'has spaces', role: 'admin' })).json()).toMatchObject({ status: 400, field: 'name' });
    expect((await issue({ name: 'dup', role: 'admin' })).statusCode).toBe(201);
    expect((await issue({ name: 'dup', role: 'admin' })).json()).toMatchObject({ status: 409, field: 'name' });
    expect((await issue({ name: 'sneaky', role: 'admin' }, 'submitter')).statusCode).toBe(403);
    expect((await h.call({ method: 'GET', url: '/token' })).statusCode).toBe(401);
    expect((await h.call({ method: 'GET', url: '/token', headers: h.as('submitter') })).statusCode).toBe(403);
    expect((await h.call({ method: 'DELETE', url: '/token/000000000000', headers: h.as('admin') })).statusCode).toBe(404);
    expect((await h.call({ method: 'GET', url: '/token/000000000000', headers: h.as('admin') })).statusCode).toBe(404);
  });

  it('shows one token at the address it was issued at, and revokes it from an HTML form', async () => {
    const issued = (await h.call({ method: 'POST', url: '/token', headers: h.as('admin'), payload: { name: 'form-revoked', role: 'builder' } })).json();
    const shown = await h.call({ method: 'GET', url: `/token/${issued.tokenId}`, headers: h.as('admin') });
    expect(shown.json()).toEqual({ tokenId: issued.tokenId, name: 'form-revoked', role: 'builder', revoked: false, issuedBy: 'admin-user', issuedAt: expect.any(String) });
    expect((await h.call({ method: 'GET', url: `/token/${issued.tokenId}`, headers: h.as('submitter') })).statusCode).toBe(403);
    expect((await h.call({ method: 'POST', url: `/token/${issued.tokenId}/delete`, headers: h.as('submitter') })).statusCode).toBe(403);
    expect((await h.call({ method: 'POST', url: `/token/${issued.tokenId}/delete`, headers: h.as('admin') })).json()).toEqual({ tokenId: issued.tokenId, revoked: true });
    expect((await h.call({ method: 'DELETE', url: `/token/${issued.tokenId}`, headers: h.as('admin') })).statusCode).toBe(200);
    expect((await h.call({ method: 'GET', url: `/token/${issued.tokenId}`, headers: h.as('admin') })).json()).toMatchObject({ revoked: true });
  });

  it('refuses to revoke the last live admin token', async () => {
    const tokens = (await h.call({ method: 'GET', url: '/token', headers: h.as('admin') })).json() as { tokenId: string; role: string; revoked: boolean }[];
    const liveAdmins = tokens.filter((token) => token.role === 'admin' && !token.revoked);
    // The harness's own admin token (the oldest) revokes every other, then is the last one.
    const [ours, ...others] = liveAdmins;
    for (const other of others) expect((await h.call({ method: 'DELETE', url: `/token/${other.tokenId}`, headers: h.as('admin') })).statusCode).toBe(200);
    const refused = await h.call({ method: 'DELETE', url: `/token/${ours!.tokenId}`, headers: h.as('admin') });
    expect(refused.json()).toMatchObject({ status: 409, detail: expect.stringContaining('last live admin token') });
  });
});
