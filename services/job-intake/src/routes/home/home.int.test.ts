import { jobBody, startHarness, type Harness } from '../../testing/harness';

describe('GET /', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it("serves the latest jobs, refreshing itself, and pyBit's job form posting to /job/", async () => {
    await h.call({ method: 'POST', url: '/job', headers: h.as('submitter'), payload: jobBody({ package: 'on-the-page' }) });
    const page = await h.call({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<meta http-equiv="refresh"');
    expect(page.body).toMatch(/<td>on-the-page<\/td><td>2\.10-3<\/td><td>bookworm\/amd64<\/td><td>Waiting<\/td>/);
    expect(page.body).toContain('<form method="post" action="/job/">');
    for (const name of ['package', 'version', 'suite', 'architecture_list', 'format', 'method', 'uri', 'vcs_id']) expect(page.body).toContain(`name="${name}"`);
    expect(page.body).toContain('<option>bookworm</option>');
    expect(page.body).toContain('href="/docs"');
  });

  it('is what the form posts that creates jobs', async () => {
    const payload = 'package=from-the-form&version=1.0-1&suite=bookworm&architecture_list=any&format=deb&method=git&uri=https%3A%2F%2Fexample.org%2Fp.git&vcs_id=';
    const response = await h.call({ method: 'POST', url: '/job/', headers: { ...h.as('submitter'), 'content-type': 'application/x-www-form-urlencoded' }, payload });
    expect(response.statusCode).toBe(201);
    expect(response.json().jobs).toHaveLength(3);
    expect(response.json().jobs[0].source).toEqual({ method: 'git', url: 'https://example.org/p.git', ref: '' });
  });
});
