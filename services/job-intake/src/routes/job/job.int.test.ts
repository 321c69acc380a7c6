import { jobDecider, jobStreamId, type JobCommand } from '@tsbit/domain';
import { handleCommand } from '@tsbit/event-log';
import { buildInputs } from '@tsbit/read-models/testing';
import { form, jobBody, startHarness, type Harness } from '../../testing/harness';

describe('/job', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const submit = async (change: Record<string, unknown> = {}) => {
    const response = await h.call({ method: 'POST', url: '/job', headers: h.as('submitter'), payload: jobBody(change) });
    expect(response.statusCode).toBe(201);
    return response.json();
  };
  const field = async (payload: unknown, url = '/job') => {
    const response = await h.call({ method: 'POST', url, headers: h.as('submitter'), payload: payload as Record<string, unknown> });
    return { status: response.statusCode, ...(response.json() as { field?: string; detail: string }), type: response.headers['content-type'] };
  };
  /** Moves a job to Building on builder b1, as the scheduler would. */
  const startBuilding = async (id: number) => {
    const at = new Date().toISOString();
    for (const command of [
      { type: 'QueueJob', at, routingKey: 'deb.bookworm.amd64' },
      { type: 'StartBuild', at, attempt: 1, builder: 'b1' },
    ] as const) {
      await handleCommand({ log: h.log, stream: jobStreamId(id), decider: jobDecider, command });
    }
    await h.project();
  };

  describe('submitting', () => {
    it('accepts a job: 201, Location, the job Waiting, who submitted it, recorded in the log', async () => {
      const response = await h.call({ method: 'POST', url: '/job', headers: { ...h.as('submitter'), 'x-request-id': 'req-abc' }, payload: jobBody({ package: 'accepted' }) });
      expect(response.statusCode).toBe(201);
      const job = response.json();
      expect(response.headers.location).toBe(`/job/${job.id}`);
      expect(job).toMatchObject({
        package: 'accepted',
        version: '2.10-3',
        dist: 'debian',
        arch: 'amd64',
        buildArchIndep: true,
        status: 'Waiting',
        attempt: 0,
        project: 'submitter-user',
        submittedBy: 'submitter-user',
        source: { method: 'git', url: 'https://salsa.debian.org/debian/hello.git', ref: 'debian/2.10-3' },
      });
      const [stored] = await h.log.readStream(jobStreamId(job.id));
      expect(stored?.type).toBe('JobSubmitted');
      expect(stored?.metadata).toEqual({ causedBy: { kind: 'user', name: 'submitter-user' }, correlationId: 'req-abc' });
      expect((await h.call({ method: 'GET', url: `/job/${job.id}` })).json()).toMatchObject({ id: job.id, status: 'Waiting' });
    });

    it.each([
      ['PUT', '/job'],
      ['POST', '/job/'],
      ['PUT', '/job/'],
    ])('accepts %s %s as well', async (method, url) => {
      const response = await h.call({ method: method as 'PUT', url, headers: h.as('submitter'), payload: jobBody({ package: 'aliases' }) });
      expect(response.statusCode).toBe(201);
    });

    it("takes pyBit's form fields, one job per architecture of the suite for 'any', the master building arch:all", async () => {
      const response = await h.call({
        method: 'POST',
        url: '/job/',
        ...form({ package: 'formpkg', version: '1.0-1', suite: 'bookworm', distribution: 'debian', architecture_list: 'any', format: 'deb', method: 'svn', uri: 'https://svn.example.org/formpkg', vcs_id: '42' }),
        headers: { ...h.as('submitter'), ...form({}).headers },
      });
      expect(response.statusCode).toBe(201);
      const { jobs } = response.json();
      expect(response.headers.location).toBe(`/job/${jobs[0].id}`);
      expect(jobs.map((job: { arch: string; buildArchIndep: boolean }) => [job.arch, job.buildArchIndep])).toEqual([
        ['amd64', true],
        ['arm64', false],
        ['i386', false],
      ]);
      expect(jobs[0]).toMatchObject({ package: 'formpkg', version: '1.0-1', dist: 'debian', format: 'deb', source: { method: 'svn', url: 'https://svn.example.org/formpkg', ref: '42' } });
    });

    it("expands 'all' to the master architecture, and takes a list of architectures", async () => {
      expect((await submit({ package: 'only-master', arch: 'all' })).arch).toBe('amd64');
      const listed = await submit({ package: 'two-arches', arch: ['arm64', 'i386'], priority: 3, project: 'big-rebuild', env: '' });
      expect(listed.jobs.map((job: { arch: string }) => job.arch)).toEqual(['arm64', 'i386']);
      expect(listed.jobs[0]).toMatchObject({ priority: 3, project: 'big-rebuild', buildArchIndep: false });
    });

    it.each([
      [{ package: undefined }, 'package'],
      [{ format: undefined }, 'format'],
      [{ colour: 'blue' }, 'colour'],
      [{ priority: 99 }, 'priority'],
      [{ arch: { name: 'amd64' } }, 'arch'],
      [{ source: { method: 'cvs', url: 'https://example.org/x' } }, 'source.method'],
      [{ source: { method: 'git', url: 'https://example.org/x', branch: 'main' } }, 'source.branch'],
      [{ dependsOn: ['first'] }, 'dependsOn.0'],
    ])('refuses what breaks the schema with 400 naming the field (%j)', async (change, name) => {
      const problem = await field(jobBody(change));
      expect(problem).toMatchObject({ status: 400, field: name, type: expect.stringContaining('application/problem+json') });
      expect(problem.detail).toMatch(new RegExp(`^${name.replace('.', '\\.')}: `));
    });

    it.each([
      [{ package: 'Not A Package' }, 'package'],
      [{ version: 'one point oh' }, 'version'],
      [{ version: undefined }, 'version'],
      [{ arch: undefined }, 'arch'],
      [{ source: undefined }, 'source'],
      [{ source: undefined, method: 'git' }, 'uri'],
      [{ source: { method: 'git', url: '--upload-pack=touch /tmp/x', ref: 'main' } }, 'source.url'],
      [{ source: { method: 'git', url: 'https://example.org/x.git', ref: '-o' } }, 'source.ref'],
      [{ commands: 'rm -rf /' }, 'commands'],
      [{ packageinstance_id: '7' }, 'packageinstance_id'],
    ])('refuses what breaks a submission rule with 400 naming the field (%j)', async (change, name) => {
      expect(await field(jobBody(change))).toMatchObject({ status: 400, field: name });
    });

    it('refuses a body that is not JSON with 400', async () => {
      const response = await h.call({ method: 'POST', url: '/job', headers: { ...h.as('submitter'), 'content-type': 'application/json' }, payload: '{"package":' });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    });

    it('refuses with 422, naming the field, what the catalogue does not build', async () => {
      expect(await field(jobBody({ suite: 'trixie' }))).toMatchObject({ status: 422, field: 'suite', code: 'not_in_catalogue' });
      expect(await field(jobBody({ arch: 'riscv64' }))).toMatchObject({ status: 422, field: 'arch' });
      expect(await field(jobBody({ dist: 'ubuntu' }))).toMatchObject({ status: 422, field: 'dist' });
      expect(await field(jobBody({ format: 'rpm' }))).toMatchObject({ status: 422, field: 'format' });
      expect(await field(jobBody({ dependsOn: [999_999] }))).toMatchObject({ status: 422, field: 'dependsOn', code: 'unknown_dependency' });
    });

    it('refuses blacklisted packages and sources with 422 naming the field', async () => {
      for (const rule of [{ field: 'name', regex: '^forbidden-' }, { field: 'vcs_uri', regex: 'evil\\.example' }]) {
        expect((await h.call({ method: 'POST', url: '/blacklist', headers: h.as('admin'), payload: rule })).statusCode).toBe(201);
      }
      const byName = await field(jobBody({ package: 'forbidden-fruit' }));
      expect(byName).toMatchObject({ status: 422, field: 'package', code: 'blacklisted', ruleId: 1, detail: expect.stringContaining('blacklisted by rule 1') });
      expect(await field(jobBody({ source: { method: 'git', url: 'https://evil.example/x.git' } }))).toMatchObject({ status: 422, field: 'source.url', code: 'blacklisted', ruleId: 2 });
    });

    it('needs a token of a role that may submit', async () => {
      const anonymous = await h.call({ method: 'POST', url: '/job', payload: jobBody() });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['www-authenticate']).toContain('Basic');
      expect((await h.call({ method: 'POST', url: '/job', headers: { authorization: 'Bearer tsbit_0000000000_AAAAAAAAAAAAAAAAAAAAAAAA' }, payload: jobBody() })).statusCode).toBe(401);
      expect((await h.call({ method: 'POST', url: '/job', headers: { authorization: 'Bearer nonsense' }, payload: jobBody() })).statusCode).toBe(401);
      expect((await h.call({ method: 'POST', url: '/job', headers: h.as('builder'), payload: jobBody() })).statusCode).toBe(403);
      // The token is checked before the body: an anonymous caller learns nothing about validation.
      expect((await h.call({ method: 'POST', url: '/job', payload: { nonsense: true } })).statusCode).toBe(401);
    });

    it('takes HTTP Basic with the token as password, as pyBit clients send', async () => {
      const basic = Buffer.from(`anyone:${h.tokens.submitter}`).toString('base64');
      expect((await h.call({ method: 'POST', url: '/job', headers: { authorization: `Basic ${basic}` }, payload: jobBody({ package: 'basic-auth' }) })).statusCode).toBe(201);
    });

    it('cancels older unfinished jobs of the same package, dist, suite, arch and env as superseded', async () => {
      const older = await submit({ package: 'supersede-me', version: '1.0-1' });
      const otherArch = await submit({ package: 'supersede-me', version: '1.0-1', arch: 'arm64' });
      const newer = await submit({ package: 'supersede-me', version: '1.1-1' });
      expect((await h.call({ method: 'GET', url: `/job/${older.id}` })).json()).toMatchObject({ status: 'Cancelled', reason: { code: 'superseded', jobIds: [newer.id] } });
      expect((await h.call({ method: 'GET', url: `/job/${otherArch.id}` })).json()).toMatchObject({ status: 'Waiting' });
      await submit({ package: 'supersede-me', version: '0.9-1' });
      expect((await h.call({ method: 'GET', url: `/job/${newer.id}` })).json()).toMatchObject({ status: 'Waiting' });
    });

    it('takes a dependency on a job submitted a moment ago, before the read models have it', async () => {
      const first = (await h.app.inject({ method: 'POST', url: '/job', headers: h.as('submitter'), payload: jobBody({ package: 'libfresh' }) })).json();
      const second = await h.app.inject({ method: 'POST', url: '/job', headers: h.as('submitter'), payload: jobBody({ package: 'fresh-app', dependsOn: [first.id] }) });
      expect(second.statusCode).toBe(201);
      expect(second.json().dependsOn).toEqual([first.id]);
      await h.project();
    });

    it('makes a job wait for the job that builds a package it depends on, in the same batch or before', async () => {
      const response = await h.call({
        method: 'POST',
        url: '/job/batch',
        headers: h.as('submitter'),
        payload: { jobs: [jobBody({ package: 'libwidget' }), jobBody({ package: 'widget-app', dependsOnPackages: ['libwidget'] })] },
      });
      const [library, application] = response.json().ids;
      expect((await h.call({ method: 'GET', url: `/job/${application}` })).json().dependsOn).toEqual([library]);
      expect((await submit({ package: 'widget-tool', dependsOnPackages: ['libwidget'] })).dependsOn).toEqual([library]);
      expect(await field(jobBody({ package: 'orphan', dependsOnPackages: ['libnothing'] }))).toMatchObject({ status: 422, field: 'dependsOnPackages' });
    });

    it("makes a job on another architecture wait for the master's build of an Architecture: all package", async () => {
      // arch "all": the job on the master only (amd64), which builds the arch-independent packages.
      const docs = await submit({ package: 'widget-data', arch: 'all' });
      expect(docs).toMatchObject({ arch: 'amd64', buildArchIndep: true });
      expect((await submit({ package: 'widget-i386', arch: 'i386', dependsOnPackages: ['widget-data'] })).dependsOn).toEqual([docs.id]);
      const batch = await h.call({
        method: 'POST',
        url: '/job/batch',
        headers: h.as('submitter'),
        payload: { jobs: [jobBody({ package: 'widget-doc', arch: 'all' }), jobBody({ package: 'widget-arm', arch: 'arm64', dependsOnPackages: ['widget-doc'] })] },
      });
      const [doc, arm] = batch.json().ids;
      expect((await h.call({ method: 'GET', url: `/job/${arm}` })).json().dependsOn).toEqual([doc]);
    });
  });

  describe('batches', () => {
    const countJobs = async () => (await h.call({ method: 'GET', url: '/job?limit=1' })).json().total as number;

    it('submits many jobs in one request: 201 with their ids', async () => {
      const response = await h.call({ method: 'POST', url: '/job/batch', headers: h.as('submitter'), payload: { jobs: [jobBody({ package: 'batch-a' }), jobBody({ package: 'batch-b', arch: 'any' })] } });
      expect(response.statusCode).toBe(201);
      const { ids } = response.json();
      expect(ids).toHaveLength(4);
      expect((await h.call({ method: 'GET', url: `/job/${ids[3]}` })).json()).toMatchObject({ package: 'batch-b', arch: 'i386' });
    });

    it('refuses the whole batch when one job is wrong, naming it and its field', async () => {
      const before = await countJobs();
      expect(await field({ jobs: [jobBody({ package: 'batch-ok' }), jobBody({ version: undefined })] }, '/job/batch')).toMatchObject({ status: 400, field: 'jobs.1.version' });
      expect(await field({ jobs: [jobBody({ package: 'batch-ok' }), jobBody({ suite: 'trixie' })] }, '/job/batch')).toMatchObject({ status: 422, field: 'jobs.1.suite', code: 'not_in_catalogue' });
      expect(await field({ jobs: [jobBody({ package: 'batch-ok' }), jobBody({ package: 'Bad Name' })] }, '/job/batch')).toMatchObject({ status: 400, field: 'jobs.1.package' });
      expect(await field({ jobs: [jobBody({ colour: 'red' })] }, '/job/batch')).toMatchObject({ status: 400, field: 'jobs.0.colour' });
      expect(await field({ jobs: [] }, '/job/batch')).toMatchObject({ status: 400, field: 'jobs' });
      expect(await countJobs()).toBe(before);
    });

    it('takes at most 5,000 jobs per request', async () => {
      const jobs = Array.from({ length: 5001 }, (_, index) => jobBody({ package: `many-${index}` }));
      expect(await field({ jobs }, '/job/batch')).toMatchObject({ status: 400, field: 'jobs' });
    });
  });

  describe('reading', () => {
    it('lists jobs newest first, pages with a cursor and a Link to the next page', async () => {
      const first = await h.call({ method: 'GET', url: '/job?limit=2&unfinished=true' });
      expect(first.statusCode).toBe(200);
      const page = first.json();
      expect(page.items).toHaveLength(2);
      expect(page.items[0].id).toBeGreaterThan(page.items[1].id);
      expect(page.total).toBeGreaterThan(2);
      expect(first.headers.link).toBe(`</job?limit=2&unfinished=true&cursor=${page.nextCursor}>; rel="next"`);
      const second = (await h.call({ method: 'GET', url: `/job/?limit=2&unfinished=true&cursor=${page.nextCursor}` })).json();
      expect(second.items[0].id).toBeLessThan(page.items[1].id);
      const oldest = (await h.call({ method: 'GET', url: '/job?order=oldest&limit=1' })).json();
      expect(oldest.items[0].id).toBeLessThan(page.items[1].id);
    });

    it('filters by the job fields and statuses', async () => {
      const job = await submit({ package: 'filtered', arch: 'i386' });
      const matches = async (query: string) => (await h.call({ method: 'GET', url: `/job?${query}` })).json().items.map((item: { id: number }) => item.id);
      expect(await matches('package=filtered')).toEqual([job.id]);
      expect(await matches('package=filtered&arch=amd64')).toEqual([]);
      expect(await matches('package=filtered&status=Waiting&status=Blocked')).toEqual([job.id]);
      expect(await matches('package=filtered&status=Done')).toEqual([]);
      expect(await matches('package=filtered&suite=bookworm&dist=debian&format=deb&version=2.10-3&project=submitter-user')).toEqual([job.id]);
    });

    it('refuses unknown parameters and bad values with 400 naming them', async () => {
      for (const [query, name] of [
        ['cursor=!!!', 'cursor'],
        ['status=Nonsense', 'status.0'],
        ['limit=0', 'limit'],
        ['limit=5000', 'limit'],
        ['order=sideways', 'order'],
        ['colour=red', 'colour'],
      ] as const) {
        const response = await h.call({ method: 'GET', url: `/job?${query}` });
        expect([response.statusCode, response.json().field]).toEqual([400, name]);
      }
    });

    it('lists unfinished jobs, and the jobs in one status', async () => {
      const cancelled = await submit({ package: 'by-status' });
      await h.call({ method: 'POST', url: `/job/${cancelled.id}/cancel`, headers: h.as('submitter') });
      const unfinished = (await h.call({ method: 'GET', url: '/job/status?package=by-status' })).json();
      expect(unfinished.items).toEqual([]);
      const inStatus = (await h.call({ method: 'GET', url: '/job/status/Cancelled?package=by-status' })).json();
      expect(inStatus.items.map((item: { id: number }) => item.id)).toEqual([cancelled.id]);
      expect((await h.call({ method: 'GET', url: '/job/status/Nonsense' })).json()).toMatchObject({ status: 400, field: 'status' });
    });

    it('shows one job with its history and artifacts; 404 problem for none; 400 for a bad id', async () => {
      const job = await submit({ package: 'lonely', arch: 'arm64' });
      const shown = (await h.call({ method: 'GET', url: `/job/${job.id}` })).json();
      expect(shown).toMatchObject({ id: job.id, status: 'Waiting', artifacts: [] });
      expect(shown.history).toEqual([expect.objectContaining({ event: 'JobSubmitted', status: 'Waiting', actor: { kind: 'user', name: 'submitter-user' } })]);
      const missing = await h.call({ method: 'GET', url: '/job/999999' });
      expect(missing.statusCode).toBe(404);
      expect(missing.headers['content-type']).toContain('application/problem+json');
      expect(missing.json()).toMatchObject({ title: 'Not Found', status: 404, detail: 'no job 999999' });
      expect((await h.call({ method: 'GET', url: '/job/abc' })).json()).toMatchObject({ status: 400, field: 'id' });
    });

    it("shows a job's status history; 404 for none", async () => {
      const job = await submit({ package: 'historic' });
      await h.call({ method: 'GET', url: `/job/${job.id}/cancel`, headers: h.as('submitter') });
      const history = (await h.call({ method: 'GET', url: `/job/${job.id}/status` })).json();
      expect(history.map((entry: { status: string }) => entry.status)).toEqual(['Waiting', 'Cancelled']);
      expect((await h.call({ method: 'GET', url: '/job/999999/status' })).statusCode).toBe(404);
    });

    it('redirects to the live log of the latest attempt while it builds, passing follow on; 404 before any attempt started', async () => {
      const job = await submit({ package: 'logged' });
      expect((await h.call({ method: 'GET', url: `/job/${job.id}/log` })).json()).toMatchObject({ status: 404, detail: `job ${job.id} has no build log` });
      await startBuilding(job.id);
      const building = await h.call({ method: 'GET', url: `/job/${job.id}/log` });
      expect(building.statusCode).toBe(302);
      expect(building.headers.location).toBe(`/logs/jobs/${job.id}/attempts/1`);
      expect((await h.call({ method: 'GET', url: `/job/${job.id}/log?follow=1` })).headers.location).toBe(`/logs/jobs/${job.id}/attempts/1?follow=1`);
      expect((await h.call({ method: 'GET', url: `/job/${job.id}/log?follow=0` })).headers.location).toBe(`/logs/jobs/${job.id}/attempts/1`);
      expect((await h.call({ method: 'GET', url: `/job/${job.id}/log?follow=maybe` })).json()).toMatchObject({ status: 400, field: 'follow' });
    });

    it('redirects to the latest logged attempt of a job logged before live logs', async () => {
      const job = await submit({ package: 'logged-before' });
      const stored = (attempt: number, sha: string) => ({
        type: 'ArtifactStored',
        data: { jobId: job.id, attempt, name: 'build.log', sha256: sha.repeat(64), size: '10', kind: 'log', builder: 'b1', storedAt: new Date().toISOString() },
      });
      await h.log.append(`artifacts-${job.id}`, [stored(2, 'b'), stored(1, 'a')], 'no_stream');
      await h.project();
      const response = await h.call({ method: 'GET', url: `/job/${job.id}/log` });
      expect(response.statusCode).toBe(302);
      expect(response.headers.location).toBe(`/logs/jobs/${job.id}/attempts/2`);
    });

    it('shows how the latest attempt was built and from what: the mode in its history, the inputs on the job', async () => {
      const job = await submit({ package: 'cross-built', arch: 'arm64' });
      const inputs = buildInputs(job.id, { chroot: 'bookworm-arm64.tar', mode: 'emulated', buildinfo: 'cross-built_1.0_arm64.buildinfo' });
      const at = new Date().toISOString();
      const commands: JobCommand[] = [
        { type: 'QueueJob', at, routingKey: 'deb.bookworm.arm64' },
        { type: 'StartBuild', at, attempt: 1, builder: 'b1', mode: 'cross' },
        { type: 'SucceedBuild', at, attempt: 1, builder: 'b1', artifacts: [], inputs },
      ];
      for (const command of commands) {
        await handleCommand({ log: h.log, stream: jobStreamId(job.id), decider: jobDecider, command });
      }
      await h.project();
      const shown = (await h.call({ method: 'GET', url: `/job/${job.id}` })).json();
      expect(shown).toMatchObject({ status: 'Done', mode: 'emulated', inputs });
      expect(shown.history.map((entry: { event: string; mode: string | null }) => [entry.event, entry.mode])).toEqual([
        ['JobSubmitted', null],
        ['JobQueued', null],
        ['BuildStarted', 'cross'],
        ['BuildSucceeded', 'emulated'],
      ]);
      expect((await h.call({ method: 'GET', url: `/job/${(await submit({ package: 'not-built' })).id}` })).json()).toMatchObject({ mode: null, inputs: null });
    });
  });

  describe('changing jobs', () => {
    it('cancels a waiting job at once (POST, and GET as pyBit), answering 202 with the job', async () => {
      for (const method of ['POST', 'GET'] as const) {
        const job = await submit({ package: `cancel-${method.toLowerCase()}` });
        const response = await h.call({ method, url: `/job/${job.id}/cancel`, headers: h.as('submitter') });
        expect(response.statusCode).toBe(202);
        expect(response.json()).toMatchObject({ id: job.id, status: 'Cancelled', reason: { code: 'cancelled_by_user', message: 'cancelled by submitter-user' } });
      }
    });

    it('asks the builder to stop a building job: Cancelling', async () => {
      const job = await submit({ package: 'cancel-building' });
      await startBuilding(job.id);
      const response = await h.call({ method: 'POST', url: `/job/${job.id}/cancel`, headers: h.as('submitter') });
      expect(response.json()).toMatchObject({ status: 'Cancelling', builder: 'b1' });
    });

    it('retries a cancelled job as a new attempt (POST, and GET as pyBit); 409 for a waiting one', async () => {
      const job = await submit({ package: 'retry-me' });
      const refused = await h.call({ method: 'POST', url: `/job/${job.id}/retry`, headers: h.as('submitter') });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().detail).toMatch(/is Waiting: cannot retry/);
      await h.call({ method: 'POST', url: `/job/${job.id}/cancel`, headers: h.as('submitter') });
      const retried = await h.call({ method: 'POST', url: `/job/${job.id}/retry`, headers: h.as('submitter') });
      expect(retried.statusCode).toBe(202);
      expect(retried.json()).toMatchObject({ id: job.id, status: 'Waiting', reason: { message: 'retried' } });
      await h.call({ method: 'GET', url: `/job/${job.id}/cancel`, headers: h.as('submitter') });
      expect((await h.call({ method: 'GET', url: `/job/${job.id}/retry`, headers: h.as('submitter') })).statusCode).toBe(202);
    });

    it('404s a change to a job that does not exist, and needs a token', async () => {
      expect((await h.call({ method: 'POST', url: '/job/999999/cancel', headers: h.as('submitter') })).statusCode).toBe(404);
      expect((await h.call({ method: 'POST', url: '/job/999999/retry', headers: h.as('submitter') })).statusCode).toBe(404);
      expect((await h.call({ method: 'GET', url: '/job/1/cancel' })).statusCode).toBe(401);
      expect((await h.call({ method: 'POST', url: '/job/1/retry', headers: h.as('builder') })).statusCode).toBe(403);
    });

    it('deletes a job by DELETE, or by GET or POST on /delete; 404 when absent; 409 while it builds', async () => {
      for (const [method, suffix] of [['DELETE', ''], ['GET', '/delete'], ['POST', '/delete']] as const) {
        const job = await submit({ package: `delete-${method.toLowerCase()}` });
        const response = await h.call({ method, url: `/job/${job.id}${suffix}`, headers: h.as('submitter') });
        expect([response.statusCode, response.json()]).toEqual([200, { deleted: job.id }]);
        expect((await h.call({ method: 'GET', url: `/job/${job.id}` })).statusCode).toBe(404);
        expect((await h.call({ method, url: `/job/${job.id}${suffix}`, headers: h.as('submitter') })).statusCode).toBe(404);
      }
      expect((await h.call({ method: 'DELETE', url: '/job/999999', headers: h.as('submitter') })).statusCode).toBe(404);
      const building = await submit({ package: 'delete-building' });
      await startBuilding(building.id);
      const refused = await h.call({ method: 'DELETE', url: `/job/${building.id}`, headers: h.as('submitter') });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().detail).toMatch(/cancel it first/);
    });

    it("takes pyBit's status update only to cancel, and refuses others with 409 naming the field", async () => {
      const job = await submit({ package: 'status-update' });
      const update = (status: string | undefined, method: 'PUT' | 'POST' = 'PUT') =>
        h.call({ method, url: `/job/${job.id}`, ...form(status === undefined ? { client: 'old-client' } : { status, client: 'old-client' }), headers: { ...h.as('submitter'), ...form({}).headers } });
      const building = await update('Building');
      expect([building.statusCode, building.json().field]).toEqual([409, 'status']);
      expect(building.json().detail).toMatch(/RabbitMQ/);
      expect((await update(undefined)).json()).toMatchObject({ status: 400, field: 'status' });
      const cancelled = await update('Cancelled', 'POST');
      expect([cancelled.statusCode, cancelled.json().status]).toEqual([202, 'Cancelled']);
    });

    it('cancels every unfinished job (admin): DELETE /job, DELETE /job/ and GET /job/cancelall', async () => {
      expect((await h.call({ method: 'DELETE', url: '/job', headers: h.as('submitter') })).statusCode).toBe(403);
      const building = await submit({ package: 'cancel-all-building' });
      await startBuilding(building.id);
      const response = await h.call({ method: 'GET', url: '/job/cancelall', headers: h.as('admin') });
      expect(response.statusCode).toBe(202);
      expect(response.json().cancelled).toBeGreaterThan(1);
      const unfinished = (await h.call({ method: 'GET', url: '/job/status' })).json().items;
      expect(unfinished.length).toBeGreaterThan(0);
      expect(unfinished.filter((job: { status: string }) => job.status !== 'Cancelling')).toEqual([]);
      await submit({ package: 'cancel-all-again' });
      expect((await h.call({ method: 'DELETE', url: '/job', headers: h.as('admin') })).json()).toEqual({ cancelled: 1 });
      await submit({ package: 'cancel-all-slash' });
      expect((await h.call({ method: 'DELETE', url: '/job/', headers: h.as('admin') })).json()).toEqual({ cancelled: 1 });
    });
  });
});
