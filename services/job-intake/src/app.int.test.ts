import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { Pool } from 'pg';
import { accessDecider, accessStreamId, jobStreamId } from '@tsbit/domain';
import { handleCommand, PostgresEventLog } from '@tsbit/event-log';
import { applyEvents, createReadModels, migrateReadModels } from '@tsbit/read-models';
import { createLogger, mintToken } from '@tsbit/service-kit';
import { createJobIntake } from './app';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const HOOK_SECRET = 'push-secret';

describe('the job-intake API', () => {
  const schema = `api_${randomBytes(4).toString('hex')}`;
  let pool: Pool;
  let log: PostgresEventLog;
  let app: FastifyInstance;
  let projected = 0n;
  const tokens: Record<'admin' | 'submitter' | 'builder', string> = { admin: '', submitter: '', builder: '' };

  /** Brings the read models up to the log, as the projection service does. */
  const project = async () => {
    const events = await log.readAll(projected, 100_000);
    if (events.length === 0) return;
    const client = await pool.connect();
    await applyEvents(client, schema, 'read-models', events).finally(() => client.release());
    projected = events[events.length - 1]!.position;
  };
  const as = (role: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[role]}` });
  const call = async (options: InjectOptions) => {
    const response = await app.inject(options);
    await project();
    return response;
  };
  const job = (change: Record<string, unknown> = {}) => ({
    package: 'hello',
    version: '2.10-3',
    suite: 'bookworm',
    arch: 'amd64',
    format: 'deb',
    source: { method: 'git', url: 'https://salsa.debian.org/debian/hello.git', ref: 'debian/2.10-3' },
    ...change,
  });

  beforeAll(async () => {
    pool = new Pool({ connectionString: DATABASE_URL });
    log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema, pool });
    await migrateReadModels(pool, schema);
    for (const role of ['admin', 'submitter', 'builder'] as const) {
      const minted = mintToken();
      await handleCommand({ log, stream: accessStreamId, decider: accessDecider, command: { type: 'IssueToken', tokenId: minted.tokenId, name: `${role}-user`, role, secretSha256: minted.secretSha256, by: 'test', at: new Date().toISOString() } });
      tokens[role] = minted.token;
    }
    await project();
    app = await createJobIntake({
      log,
      readModels: createReadModels(pool, schema),
      logger: createLogger('job-intake-test', 'silent'),
      hooks: [{ repository: 'acme/widget', secret: HOOK_SECRET, package: 'widget', suites: ['bookworm'], arch: 'all', baseVersion: '1.0' }],
    });
    for (const name of ['amd64', 'arm64', 'i386']) await call({ method: 'POST', url: '/arch', headers: as('admin'), payload: { name } });
    await call({ method: 'POST', url: '/dist', headers: as('admin'), payload: { name: 'debian' } });
    for (const name of ['deb', 'rpm']) await call({ method: 'POST', url: '/format', headers: as('admin'), payload: { name } });
    const suite = await call({
      method: 'POST',
      url: '/suite',
      headers: as('admin'),
      payload: { name: 'bookworm', dist: 'debian', arches: [{ arch: 'amd64', masterWeight: 10 }, { arch: 'arm64', masterWeight: 5 }, { arch: 'i386', masterWeight: 1 }], formats: ['deb'] },
    });
    expect(suite.statusCode).toBe(201);
  });
  afterAll(async () => {
    await app.close();
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  });

  describe('submitting', () => {
    it('accepts a job: 201, its Location, Waiting, and who submitted it', async () => {
      const response = await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: job() });
      expect(response.statusCode).toBe(201);
      const body = response.json();
      expect(response.headers.location).toBe(`/job/${body.id}`);
      expect(body).toMatchObject({ status: 'Waiting', package: 'hello', dist: 'debian', buildArchIndep: true, submittedBy: 'submitter-user' });
      const [stored] = await log.readStream(jobStreamId(body.id));
      expect(stored?.metadata).toEqual({ causedBy: { kind: 'user', name: 'submitter-user' } });
    });

    it("accepts pyBit's form fields, one job per architecture of the suite for 'any'", async () => {
      const response = await call({
        method: 'POST',
        url: '/job/',
        headers: { ...as('submitter'), 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'package=formpkg&version=1.0&suite=bookworm&distribution=debian&architecture_list=any&format=deb&method=git&uri=https%3A%2F%2Fexample.org%2Fformpkg.git&vcs_id=main',
      });
      expect(response.statusCode).toBe(201);
      const { jobs } = response.json();
      expect(jobs.map((created: { arch: string; buildArchIndep: boolean }) => [created.arch, created.buildArchIndep])).toEqual([
        ['amd64', true],
        ['arm64', false],
        ['i386', false],
      ]);
    });

    it.each([
      [{ package: 'Not A Package' }, 'package'],
      [{ version: 'one point oh' }, 'version'],
      [{ source: { method: 'git', url: '--upload-pack=touch /tmp/x', ref: 'main' } }, 'source.url'],
      [{ priority: 99 }, 'priority'],
    ])('refuses bad input with 400 naming the field (%j)', async (change, field) => {
      const response = await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: job(change) });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().field).toBe(field);
    });

    it('refuses with 400 a job without a required field, naming it', async () => {
      const { package: _omitted, ...rest } = job();
      const response = await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: rest });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ field: 'package', detail: 'package: is required' });
    });

    it('refuses with 422 what the catalogue does not build, naming the field', async () => {
      expect((await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: job({ suite: 'trixie' }) })).json()).toMatchObject({ status: 422, field: 'suite' });
      expect((await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: job({ format: 'rpm' }) })).json()).toMatchObject({ status: 422, field: 'format' });
      expect((await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: job({ dependsOn: [999999] }) })).json()).toMatchObject({ status: 422, field: 'dependsOn' });
    });

    it('refuses a blacklisted package with 422', async () => {
      expect((await call({ method: 'POST', url: '/blacklist', headers: as('admin'), payload: { field: 'name', regex: '^forbidden' } })).statusCode).toBe(201);
      const response = await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: job({ package: 'forbidden-fruit' }) });
      expect(response.statusCode).toBe(422);
      expect(response.json().detail).toMatch(/blacklisted by rule/);
    });

    it('needs a token to write, and the right role', async () => {
      expect((await call({ method: 'POST', url: '/job', payload: job() })).statusCode).toBe(401);
      expect((await call({ method: 'POST', url: '/job', headers: as('builder'), payload: job() })).statusCode).toBe(403);
      expect((await call({ method: 'POST', url: '/arch', headers: as('submitter'), payload: { name: 'riscv64' } })).statusCode).toBe(403);
      expect((await call({ method: 'POST', url: '/job', headers: { authorization: 'Bearer tsbit_0000000000_AAAAAAAAAAAAAAAAAAAAAAAA' }, payload: job() })).statusCode).toBe(401);
    });

    it('supersedes older unfinished jobs of the same package', async () => {
      const older = (await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: job({ package: 'supersede-me', version: '1.0' }) })).json();
      const newer = (await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: job({ package: 'supersede-me', version: '1.1' }) })).json();
      const cancelled = (await call({ method: 'GET', url: `/job/${older.id}` })).json();
      expect(cancelled).toMatchObject({ status: 'Cancelled', reason: { code: 'superseded', jobIds: [newer.id] } });
    });

    it('makes a job wait for the job that builds a package it depends on, in the same batch or before', async () => {
      const response = await call({
        method: 'POST',
        url: '/job/batch',
        headers: as('submitter'),
        payload: { jobs: [job({ package: 'libwidget' }), job({ package: 'widget-app', dependsOnPackages: ['libwidget'] })] },
      });
      const [library, application] = response.json().ids;
      expect((await call({ method: 'GET', url: `/job/${application}` })).json().dependsOn).toEqual([library]);
      const later = (await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: job({ package: 'widget-tool', dependsOnPackages: ['libwidget'] }) })).json();
      expect(later.dependsOn).toEqual([library]);
      const unknown = await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: job({ package: 'orphan', dependsOnPackages: ['libnothing'] }) });
      expect(unknown.json()).toMatchObject({ status: 422, field: 'dependsOnPackages' });
    });

    it('takes a batch of jobs in one request', async () => {
      const response = await call({ method: 'POST', url: '/job/batch', headers: as('submitter'), payload: { jobs: [job({ package: 'batch-a' }), job({ package: 'batch-b' })] } });
      expect(response.statusCode).toBe(201);
      expect(response.json().ids).toHaveLength(2);
      const bad = await call({ method: 'POST', url: '/job/batch', headers: as('submitter'), payload: { jobs: [job({ package: 'ok-one' }), { package: 'x' }] } });
      expect(bad.json()).toMatchObject({ status: 400, field: 'jobs[1].version' });
    });
  });

  describe('reading', () => {
    it('lists jobs newest first with a cursor and a Link to the next page', async () => {
      const first = await call({ method: 'GET', url: '/job?limit=2' });
      const page = first.json();
      expect(page.items).toHaveLength(2);
      expect(page.items[0].id).toBeGreaterThan(page.items[1].id);
      expect(first.headers.link).toContain('rel="next"');
      const second = (await call({ method: 'GET', url: `/job?limit=2&cursor=${page.nextCursor}` })).json();
      expect(second.items[0].id).toBeLessThan(page.items[1].id);
      expect((await call({ method: 'GET', url: '/job?cursor=!!!' })).json()).toMatchObject({ status: 400, field: 'cursor' });
      expect((await call({ method: 'GET', url: '/job?status=Nonsense' })).statusCode).toBe(400);
    });

    it('shows one job with its history and says why it waits; 404 for none', async () => {
      const created = (await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: job({ package: 'lonely', arch: 'arm64' }) })).json();
      const shown = (await call({ method: 'GET', url: `/job/${created.id}` })).json();
      expect(shown.history).toEqual([expect.objectContaining({ event: 'JobSubmitted', status: 'Waiting', actor: { kind: 'user', name: 'submitter-user' } })]);
      expect(shown.reason).toMatchObject({ code: 'no_builder_online', message: 'no builder online for arm64' });
      expect((await call({ method: 'GET', url: `/job/${created.id}/status` })).json()).toHaveLength(1);
      const missing = await call({ method: 'GET', url: '/job/999999' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ title: 'Not Found', status: 404 });
      expect((await call({ method: 'GET', url: '/job/abc' })).statusCode).toBe(400);
    });

    it('answers pyBit clients from any origin', async () => {
      expect((await call({ method: 'GET', url: '/job' })).headers['access-control-allow-origin']).toBe('*');
    });

    it('describes itself in OpenAPI, and serves Swagger UI', async () => {
      const document = (await call({ method: 'GET', url: '/openapi.json' })).json();
      expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/job', '/job/{id}', '/job/{id}/cancel', '/suite', '/buildd', '/blacklist', '/token', '/hooks/github']));
      expect((await call({ method: 'GET', url: '/docs/' })).statusCode).toBe(200);
    });
  });

  describe('changing jobs', () => {
    it('cancels a waiting job at once, refuses to retry a waiting job, retries a cancelled one', async () => {
      const created = (await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: job({ package: 'cancel-me' }) })).json();
      expect((await call({ method: 'POST', url: `/job/${created.id}/retry`, headers: as('submitter') })).statusCode).toBe(409);
      const cancelled = await call({ method: 'GET', url: `/job/${created.id}/cancel`, headers: as('submitter') });
      expect(cancelled.statusCode).toBe(202);
      expect(cancelled.json()).toEqual({ id: created.id, status: 'Cancelled' });
      expect((await call({ method: 'POST', url: `/job/${created.id}/retry`, headers: as('submitter') })).json()).toEqual({ id: created.id, status: 'Waiting' });
      expect((await call({ method: 'PUT', url: `/job/${created.id}`, headers: as('submitter'), payload: { status: 'Done' } })).statusCode).toBe(409);
    });

    it('deletes a job by DELETE or by its HTML form route, and 404s an unknown one', async () => {
      const created = (await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: job({ package: 'delete-me' }) })).json();
      expect((await call({ method: 'POST', url: `/job/${created.id}/delete`, headers: as('submitter') })).statusCode).toBe(200);
      expect((await call({ method: 'GET', url: `/job/${created.id}` })).statusCode).toBe(404);
      expect((await call({ method: 'DELETE', url: '/job/999999', headers: as('submitter') })).statusCode).toBe(404);
    });

    it('cancels every unfinished job', async () => {
      const response = await call({ method: 'GET', url: '/job/cancelall', headers: as('admin') });
      expect(response.statusCode).toBe(202);
      expect((await call({ method: 'GET', url: '/job/status' })).json().items).toEqual([]);
    });
  });

  describe('the catalogue', () => {
    it('lists, shows, pages and counts, and refuses to remove what a suite uses', async () => {
      expect((await call({ method: 'GET', url: '/arch' })).json().map((arch: { name: string }) => arch.name)).toEqual(['amd64', 'arm64', 'i386']);
      expect((await call({ method: 'GET', url: '/suite/bookworm' })).json()).toMatchObject({ masterArch: 'amd64' });
      expect((await call({ method: 'GET', url: '/arch/count' })).json()).toEqual({ total: 3, pages: 1 });
      expect((await call({ method: 'GET', url: '/status' })).json()).toContainEqual({ name: 'Uploaded' });
      expect((await call({ method: 'GET', url: '/arch/arm64/delete', headers: as('admin') })).statusCode).toBe(409);
      expect((await call({ method: 'POST', url: '/arch', headers: as('admin'), payload: { name: 'amd64' } })).statusCode).toBe(409);
      expect((await call({ method: 'POST', url: '/arch', headers: as('admin'), payload: {} })).json()).toMatchObject({ status: 400, field: 'name' });
      expect((await call({ method: 'POST', url: '/arch', headers: as('admin'), payload: { name: 'riscv64' } })).statusCode).toBe(201);
      expect((await call({ method: 'DELETE', url: '/arch/riscv64', headers: as('admin') })).statusCode).toBe(200);
      expect((await call({ method: 'GET', url: '/arch/riscv64' })).statusCode).toBe(404);
    });
  });

  describe('builders and packages', () => {
    it('shows builders, drains and releases one, and 404s an unknown one', async () => {
      await log.append('builder-b9', [{ type: 'BuilderRegistered', data: { name: 'b9', arches: ['amd64'], suites: ['bookworm'], formats: ['deb'], slots: 2, registeredAt: new Date().toISOString() } }], 'no_stream');
      await project();
      expect((await call({ method: 'GET', url: '/buildd' })).json()).toEqual([expect.objectContaining({ name: 'b9', state: 'idle', slots: 2 })]);
      expect((await call({ method: 'GET', url: '/buildd/b9/status' })).json()).toMatchObject({ status: 'Active' });
      expect((await call({ method: 'POST', url: '/buildd/b9/pause', headers: as('submitter') })).statusCode).toBe(403);
      expect((await call({ method: 'POST', url: '/buildd/b9/pause', headers: as('admin') })).json()).toEqual({ name: 'b9', paused: true });
      expect((await call({ method: 'GET', url: '/buildd/b9' })).json()).toMatchObject({ state: 'paused' });
      await call({ method: 'POST', url: '/buildd/b9/resume', headers: as('admin') });
      expect((await call({ method: 'GET', url: '/buildd/b9' })).json()).toMatchObject({ state: 'idle' });
      expect((await call({ method: 'GET', url: '/buildd/nobody' })).statusCode).toBe(404);
      expect((await call({ method: 'GET', url: '/buildd/b9/jobs' })).json().items).toEqual([]);
    });

    it('lists packages, their versions and activity, and cancels all jobs of one', async () => {
      await call({ method: 'POST', url: '/job', headers: as('submitter'), payload: job({ package: 'pkgres', version: '1.0' }) });
      expect((await call({ method: 'GET', url: '/package/names' })).json()).toContain('pkgres');
      expect((await call({ method: 'GET', url: '/package/details/pkgres' })).json()).toEqual([{ name: 'pkgres', version: '1.0', jobs: 1, unfinished: 1 }]);
      expect((await call({ method: 'GET', url: '/package/pkgres/active' })).json()).toEqual({ package: 'pkgres', active: true });
      expect((await call({ method: 'GET', url: '/package/pkgres/cancel', headers: as('submitter') })).json()).toEqual({ package: 'pkgres', cancelled: 1 });
      expect((await call({ method: 'GET', url: '/package/pkgres/active' })).json()).toEqual({ package: 'pkgres', active: false });
      expect((await call({ method: 'GET', url: '/package/details/nothing-here' })).statusCode).toBe(404);
      expect((await call({ method: 'GET', url: '/packageinstance' })).json()).toContainEqual(expect.objectContaining({ package: 'pkgres', suite: 'bookworm', arch: 'amd64' }));
    });
  });

  describe('tokens', () => {
    it('issues a token shown once, which then works, and revokes it', async () => {
      const issued = (await call({ method: 'POST', url: '/token', headers: as('admin'), payload: { name: 'ci-bot', role: 'submitter' } })).json();
      expect(issued.token).toMatch(/^tsbit_/);
      expect(JSON.stringify((await call({ method: 'GET', url: '/token', headers: as('admin') })).json())).not.toContain(issued.token);
      const basic = Buffer.from(`ci-bot:${issued.token}`).toString('base64');
      expect((await call({ method: 'POST', url: '/job', headers: { authorization: `Basic ${basic}` }, payload: job({ package: 'from-ci' }) })).statusCode).toBe(201);
      expect((await call({ method: 'DELETE', url: `/token/${issued.tokenId}`, headers: as('admin') })).statusCode).toBe(200);
      expect((await call({ method: 'POST', url: '/job', headers: { authorization: `Bearer ${issued.token}` }, payload: job({ package: 'from-ci' }) })).statusCode).toBe(401);
    });
  });

  describe('hooks', () => {
    const push = JSON.stringify({ ref: 'refs/heads/main', after: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', repository: { full_name: 'acme/widget', clone_url: 'https://forge.example/acme/widget.git' } });

    it('builds a GitHub push whose signature matches, for the configured suites', async () => {
      const signature = `sha256=${createHmac('sha256', HOOK_SECRET).update(push).digest('hex')}`;
      const response = await call({ method: 'POST', url: '/hooks/github', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature }, payload: push });
      expect(response.statusCode).toBe(201);
      expect(response.json().jobs).toEqual([expect.objectContaining({ package: 'widget', arch: 'amd64', version: expect.stringMatching(/^1\.0\+git\d{8}\.a1b2c3d4e5f6$/), source: { method: 'git', url: 'https://forge.example/acme/widget.git', ref: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678' } })]);
    });

    it('refuses a push with a wrong signature or token', async () => {
      expect((await call({ method: 'POST', url: '/hooks/github', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' }, payload: push })).statusCode).toBe(401);
      expect((await call({ method: 'POST', url: '/hooks/gitlab', headers: { 'content-type': 'application/json', 'x-gitlab-token': 'wrong' }, payload: push })).statusCode).toBe(401);
      const gitea = createHmac('sha256', HOOK_SECRET).update(push).digest('hex');
      expect((await call({ method: 'POST', url: '/hooks/gitea', headers: { 'content-type': 'application/json', 'x-gitea-signature': gitea }, payload: push })).statusCode).toBe(201);
    });

    it("creates jobs from pyBit's VCS hook form", async () => {
      const response = await call({
        method: 'POST',
        url: '/job/vcshook',
        headers: { ...as('submitter'), 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'uri=https%3A%2F%2Fexample.org%2Fsvn%2Fhookpkg&method=svn&distribution=debian&vcs_id=42&architecture_list=all&package_version=3.1-1&package=hookpkg&suite=bookworm&format=deb',
      });
      expect(response.statusCode).toBe(201);
      expect(response.json().jobs).toEqual([expect.objectContaining({ package: 'hookpkg', arch: 'amd64', source: { method: 'svn', url: 'https://example.org/svn/hookpkg', ref: '42' } })]);
    });
  });

  it('serves a page with the latest jobs and the submission form, escaping what it shows', async () => {
    const page = await call({ method: 'GET', url: '/' });
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<form method="post" action="/job/">');
    expect(page.body).not.toContain('<script');
  });
});
