import { createHmac } from 'node:crypto';
import { jobStreamId } from '@tsbit/domain';
import { form, startHarness, type Harness } from '../../testing/harness';

const SECRET = 'push-secret-1234';
const OTHER_SECRET = 'other-secret-5678';
const COMMIT = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const WEBHOOK_BODY_LIMIT_BYTES = 5 * 1024 * 1024;

describe('VCS hooks', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      hooks: [
        { repository: 'acme/widget', secret: SECRET, package: 'widget', suites: ['bookworm'], arch: 'all', baseVersion: '1.0' },
        { repository: 'https://gitlab.example/group/tool.git', secret: SECRET, package: 'tool', suites: ['bookworm'], branches: ['main', 'v2.0'] },
        { repository: 'acme/gadget', secret: SECRET, package: 'gadget', suites: ['bookworm'], arch: 'all', branches: ['release'] },
        // One repository feeding two packages through one webhook, and a third through another.
        { repository: 'acme/mono', secret: SECRET, package: 'mono-lib', suites: ['bookworm'], arch: 'all' },
        { repository: 'https://github.example/acme/mono.git', secret: SECRET, package: 'mono-tools', suites: ['bookworm'], arch: 'arm64', branches: ['main'] },
        { repository: 'acme/mono', secret: OTHER_SECRET, package: 'mono-docs', suites: ['bookworm'], arch: 'all' },
        { repository: 'acme/unbuilt', secret: SECRET, package: 'unbuilt', suites: ['sid'] },
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

    it('skips the architectures the suite does not build, and refuses a list of none it builds: 422', async () => {
      const some = form({ ...fields, package: 'hookskip', architecture_list: 'arm64,ppc64el,all' });
      const response = await h.call({ method: 'POST', url: '/job/vcshook', headers: { ...h.as('submitter'), ...some.headers }, payload: some.payload });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toMatchObject({ skipped: ['ppc64el'], jobs: [{ arch: 'arm64' }, { arch: 'amd64' }] });

      const none = form({ ...fields, package: 'hookskip', architecture_list: 's390x,ppc64el' });
      const refused = await h.call({ method: 'POST', url: '/job/vcshook', headers: { ...h.as('submitter'), ...none.headers }, payload: none.payload });
      expect(refused.json()).toMatchObject({ status: 422, code: 'not_in_catalogue', field: 'arch', detail: expect.stringContaining('does not build "s390x" (it builds amd64, arm64, i386)') });
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
    const hmac = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');
    const githubSigned = (body: string, secret = SECRET) => ({ 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body, secret)}` });
    const jobsOf = (response: { json(): { jobs: { package: string; arch: string }[] } }) => response.json().jobs.map((job) => `${job.package}/${job.arch}`);
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
          submittedBy: 'github-hook:acme/widget',
          source: { method: 'git', url: 'https://github.example/acme/widget.git', ref: COMMIT },
        }),
      ]);
      const [stored] = await h.log.readStream(jobStreamId(jobs[0].id));
      expect(stored?.metadata).toMatchObject({ causedBy: { kind: 'system', name: 'github-hook:acme/widget' } });
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

    it('answers pings and deleted branches without building', async () => {
      // GitHub's ping names the repository but no ref.
      const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1, repository: { full_name: 'acme/widget' } });
      expect((await post('github', ping, { 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${hmac(ping)}` })).json()).toEqual({ ignored: 'ping event' });
      expect((await post('github', ping, { 'x-github-event': 'ping' })).statusCode).toBe(401);
      const deleted = githubPush({ after: '0'.repeat(40) });
      expect((await post('github', deleted, githubSigned(deleted))).json()).toEqual({ ignored: 'main was deleted' });
      expect((await post('github', '{"ref":', { 'x-github-event': 'push' })).json()).toMatchObject({ status: 400, field: 'body' });
    });

    it('answers an unknown repository exactly as a wrong signature, on every forge', async () => {
      const stranger = { full_name: 'someone/else', clone_url: 'https://github.example/someone/else.git' };
      const unknownGithub = githubPush({ repository: stranger });
      const unknownGitlab = JSON.stringify({ ref: 'refs/heads/main', after: COMMIT, project: { path_with_namespace: 'someone/else' } });
      const known = githubPush();
      const cases = [
        [post('github', unknownGithub, githubSigned(unknownGithub)), post('github', known, githubSigned(known, OTHER_SECRET))],
        [post('gitlab', unknownGitlab, { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET }), post('gitlab', gitlabPush(), { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': OTHER_SECRET })],
        [post('gitea', unknownGithub, { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(unknownGithub) }), post('gitea', known, { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(known, OTHER_SECRET) })],
      ];
      for (const [unknown, badSignature] of cases) {
        const [a, b] = await Promise.all([unknown, badSignature]);
        expect(a?.statusCode).toBe(401);
        expect(a?.body).toBe(b?.body);
        expect(a?.headers['www-authenticate']).toBe(b?.headers['www-authenticate']);
        expect(a?.body).not.toMatch(/someone|acme|group|tool/);
      }
    });

    it('builds only the branches an entry lists, on GitHub and on Gitea', async () => {
      const onMain = githubPush({ repository: { full_name: 'acme/gadget', clone_url: 'https://github.example/acme/gadget.git' } });
      const onRelease = githubPush({ ref: 'refs/heads/release', repository: { full_name: 'acme/gadget', clone_url: 'https://github.example/acme/gadget.git' } });
      expect((await post('github', onMain, githubSigned(onMain))).json()).toEqual({ ignored: 'main is not among the branches built' });
      expect((await post('gitea', onMain, { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(onMain) })).json()).toEqual({ ignored: 'main is not among the branches built' });
      expect(jobsOf(await post('github', onRelease, githubSigned(onRelease)))).toEqual(['gadget/amd64']);
      const gitea = await post('gitea', onRelease, { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(onRelease) });
      expect([gitea.statusCode, gitea.json().jobs[0].submittedBy]).toEqual([201, 'gitea-hook:acme/gadget']);
    });

    it('fires every entry of the repository that its secret signs and whose branches include the ref', async () => {
      const push = (ref: string) => githubPush({ ref, repository: { full_name: 'acme/mono', clone_url: 'https://github.example/acme/mono.git' } });
      expect(jobsOf(await post('github', push('refs/heads/main'), githubSigned(push('refs/heads/main'))))).toEqual(['mono-lib/amd64', 'mono-tools/arm64']);
      expect(jobsOf(await post('github', push('refs/heads/dev'), githubSigned(push('refs/heads/dev'))))).toEqual(['mono-lib/amd64']);
      expect(jobsOf(await post('github', push('refs/heads/main'), githubSigned(push('refs/heads/main'), OTHER_SECRET)))).toEqual(['mono-docs/amd64']);
      expect((await post('github', push('refs/heads/main'), githubSigned(push('refs/heads/main'), 'nobody-s-secret'))).statusCode).toBe(401);
    });

    it('refuses a body over 5 MiB (413), and a suite the catalogue lacks (422)', async () => {
      const oversized = await post('github', ' '.repeat(WEBHOOK_BODY_LIMIT_BYTES + 1), { 'x-github-event': 'push' });
      expect([oversized.statusCode, oversized.headers['content-type']]).toEqual([413, 'application/problem+json; charset=utf-8']);
      const body = githubPush({ repository: { full_name: 'acme/unbuilt', clone_url: 'https://github.example/acme/unbuilt.git' } });
      expect((await post('github', body, githubSigned(body))).json()).toMatchObject({ status: 422, code: 'not_in_catalogue', field: 'suite' });
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

    it('builds a GitLab tag push as the tagged commit, not the annotated tag object', async () => {
      const tagObject = 'f'.repeat(40);
      const body = JSON.stringify({ object_kind: 'tag_push', ref: 'refs/tags/v2.0', before: '0'.repeat(40), after: tagObject, checkout_sha: COMMIT, commits: [], project: { path_with_namespace: 'group/tool', git_http_url: 'https://gitlab.example/group/tool.git' } });
      const response = await post('gitlab', body, { 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': SECRET });
      expect(response.statusCode).toBe(201);
      // No commit time in a tag push: the time of receipt.
      expect(response.json().jobs[0]).toMatchObject({ version: expect.stringMatching(/^0\+git\d{8}\.\d{6}\.a1b2c3d$/), submittedBy: 'gitlab-hook:group/tool', source: { ref: COMMIT } });
      const other = body.replace('refs/tags/v2.0', 'refs/tags/v3.0');
      expect((await post('gitlab', other, { 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': SECRET })).json()).toEqual({ ignored: 'v3.0 is not among the branches built' });
    });

    it('builds a Gitea push whose signature matches; 401 otherwise', async () => {
      const body = githubPush({ after: 'c'.repeat(40), head_commit: { id: 'c'.repeat(40), timestamp: '2026-11-26T00:00:01Z' } });
      const response = await post('gitea', body, { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(body) });
      expect([response.statusCode, response.json().jobs[0].version]).toEqual([201, '1.0+git20261126.000001.ccccccc']);
      expect((await post('gitea', body, { 'x-gitea-event': 'push', 'x-gitea-signature': hmac('tampered') })).statusCode).toBe(401);
    });
  });
});
