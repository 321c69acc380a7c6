import { createHmac } from 'node:crypto';
import { jobStreamId } from '@tsbit/domain';
import { form, startHarness, type Harness } from '../../testing/harness';

const SECRET = 'push-secret-1234';
const COMMIT = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

describe('VCS hooks', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      hooks: [
        { repository: 'acme/widget', secret: SECRET, package: 'widget', suites: ['bookworm'], arch: 'all', baseVersion: '1.0' },
        { repository: 'https://gitlab.example/group/tool.git', secret: SECRET, package: 'tool', suites: ['bookworm'], branches: ['main'] },
      ],
    });
  });
  afterAll(() => h.close());

  describe('/job/vcshook', () => {
    const fields = { uri: 'https://svn.example.org/hookpkg', method: 'svn', distribution: 'debian', vcs_id: '42', architecture_list: 'amd64,i386', package_version: '3.1-1', package: 'hookpkg', suite: 'bookworm', format: 'deb' };

    it("creates one job per architecture from pyBit's form fields (POST or PUT)", async () => {
      for (const method of ['POST', 'PUT'] as const) {
        const { headers, payload } = form(fields);
        const response = await h.call({ method, url: '/job/vcshook', headers: { ...h.as('submitter'), ...headers }, payload });
        expect(response.statusCode).toBe(201);
        const { jobs } = response.json();
        expect(response.headers.location).toBe(`/job/${jobs[0].id}`);
        expect(jobs.map((job: { arch: string }) => job.arch)).toEqual(['amd64', 'i386']);
        expect(jobs[0]).toMatchObject({ package: 'hookpkg', version: '3.1-1', dist: 'debian', submittedBy: 'submitter-user', source: { method: 'svn', url: 'https://svn.example.org/hookpkg', ref: '42' } });
      }
    });

    it('needs a submitter token, and names a missing field', async () => {
      const { headers, payload } = form(fields);
      expect((await h.call({ method: 'POST', url: '/job/vcshook', headers, payload })).statusCode).toBe(401);
      const { architecture_list: _omitted, ...rest } = fields;
      const incomplete = form(rest);
      expect((await h.call({ method: 'POST', url: '/job/vcshook', headers: { ...h.as('submitter'), ...incomplete.headers }, payload: incomplete.payload })).json()).toMatchObject({ status: 400, field: 'arch' });
    });
  });

  describe('forge webhooks', () => {
    const githubPush = (change: Record<string, unknown> = {}) =>
      JSON.stringify({
        ref: 'refs/heads/main',
        after: COMMIT,
        head_commit: { id: COMMIT, timestamp: '2026-11-24T11:15:30+01:00' },
        repository: { full_name: 'acme/widget', clone_url: 'https://github.example/acme/widget.git' },
        ...change,
      });
    const gitlabPush = (ref = 'refs/heads/main') =>
      JSON.stringify({ ref, after: COMMIT, checkout_sha: COMMIT, commits: [{ id: COMMIT, timestamp: '2026-11-25T08:00:00Z' }], project: { path_with_namespace: 'group/tool', git_http_url: 'https://gitlab.example/group/tool.git' } });
    const hmac = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex');
    const post = (forge: string, body: string, headers: Record<string, string>, contentType = 'application/json') =>
      h.call({ method: 'POST', url: `/hooks/${forge}`, headers: { 'content-type': contentType, ...headers }, payload: body });

    it('builds a GitHub push whose signature matches, as the pushed commit, versioned by its time', async () => {
      const body = githubPush();
      const response = await post('github', body, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body)}` });
      expect(response.statusCode).toBe(201);
      const { jobs } = response.json();
      expect(jobs).toEqual([
        expect.objectContaining({
          package: 'widget',
          arch: 'amd64',
          version: '1.0+git20261124.101530.a1b2c3d',
          project: 'acme/widget',
          submittedBy: 'github-hook',
          source: { method: 'git', url: 'https://github.example/acme/widget.git', ref: COMMIT },
        }),
      ]);
      const [stored] = await h.log.readStream(jobStreamId(jobs[0].id));
      expect(stored?.metadata).toMatchObject({ causedBy: { kind: 'system', name: 'github-hook' } });
    });

    it("takes GitHub's form-encoded deliveries, signed over the form body", async () => {
      const body = new URLSearchParams({ payload: githubPush({ after: 'b'.repeat(40), head_commit: null }) }).toString();
      const response = await post('github', body, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body)}` }, 'application/x-www-form-urlencoded');
      expect(response.statusCode).toBe(201);
      expect(response.json().jobs[0].source.ref).toBe('b'.repeat(40));
    });

    it('refuses a GitHub push with a wrong or missing signature: 401', async () => {
      const body = githubPush();
      expect((await post('github', body, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(`${body} `)}` })).statusCode).toBe(401);
      expect((await post('github', body, { 'x-github-event': 'push' })).statusCode).toBe(401);
      expect((await post('github', body, { 'x-github-event': 'push', 'x-hub-signature-256': hmac(body) })).statusCode).toBe(401);
    });

    it('answers pings, deleted branches and unconfigured repositories without building', async () => {
      const ping = githubPush();
      expect((await post('github', ping, { 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${hmac(ping)}` })).json()).toEqual({ ignored: 'ping event' });
      const deleted = githubPush({ after: '0'.repeat(40) });
      expect((await post('github', deleted, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(deleted)}` })).json()).toEqual({ ignored: 'main was deleted' });
      const stranger = githubPush({ repository: { full_name: 'someone/else', clone_url: 'https://github.example/someone/else.git' } });
      expect((await post('github', stranger, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(stranger)}` })).statusCode).toBe(404);
      expect((await post('github', '{"ref":', { 'x-github-event': 'push' })).json()).toMatchObject({ status: 400, field: 'body' });
    });

    it('builds a GitLab push carrying the secret token, only for the configured branches', async () => {
      const main = await post('gitlab', gitlabPush(), { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET });
      expect(main.statusCode).toBe(201);
      expect(main.json().jobs.map((job: { arch: string; version: string }) => [job.arch, job.version])).toEqual([
        ['amd64', '0+git20261125.080000.a1b2c3d'],
        ['arm64', '0+git20261125.080000.a1b2c3d'],
        ['i386', '0+git20261125.080000.a1b2c3d'],
      ]);
      expect((await post('gitlab', gitlabPush('refs/heads/feature'), { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET })).json()).toEqual({ ignored: 'feature is not among the branches built' });
      expect((await post('gitlab', gitlabPush(), { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'wrong-secret' })).statusCode).toBe(401);
      expect((await post('gitlab', gitlabPush(), { 'x-gitlab-event': 'Push Hook' })).statusCode).toBe(401);
    });

    it('builds a Gitea push whose signature matches; 401 otherwise', async () => {
      const body = githubPush({ after: 'c'.repeat(40), head_commit: { id: 'c'.repeat(40), timestamp: '2026-11-26T00:00:01Z' } });
      const response = await post('gitea', body, { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(body) });
      expect([response.statusCode, response.json().jobs[0].version]).toEqual([201, '1.0+git20261126.000001.ccccccc']);
      expect((await post('gitea', body, { 'x-gitea-event': 'push', 'x-gitea-signature': hmac('tampered') })).statusCode).toBe(401);
    });
  });
});
