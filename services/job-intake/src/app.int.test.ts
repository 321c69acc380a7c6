import { catalogDecider, catalogStreamId } from '@tsbit/domain';
import { handleCommand } from '@tsbit/event-log';
import { jobBody, startHarness, type Harness } from './testing/harness';

describe('the job-intake app', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('allows any origin on every response: reads, writes, problems, unknown routes', async () => {
    const responses = [
      await h.call({ method: 'GET', url: '/job' }),
      await h.call({ method: 'POST', url: '/job', headers: h.as('submitter'), payload: jobBody({ package: 'cors' }) }),
      await h.call({ method: 'POST', url: '/job', payload: jobBody() }),
      await h.call({ method: 'GET', url: '/job/999999' }),
      await h.call({ method: 'GET', url: '/no/such/route' }),
    ];
    expect(responses.map((response) => [response.statusCode, response.headers['access-control-allow-origin']])).toEqual([
      [200, '*'],
      [201, '*'],
      [401, '*'],
      [404, '*'],
      [404, '*'],
    ]);
    expect(responses[1]?.headers['access-control-expose-headers']).toContain('location');
    expect(responses[4]?.headers['content-type']).toContain('application/problem+json');
  });

  it('answers CORS preflights', async () => {
    const response = await h.call({ method: 'OPTIONS', url: '/job', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' } });
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-allow-methods']).toContain('POST');
    expect(response.headers['access-control-allow-headers']).toContain('authorization');
  });

  it('describes every resource in an OpenAPI document generated from the route schemas, with Swagger UI at /docs', async () => {
    const document = (await h.call({ method: 'GET', url: '/openapi.json' })).json();
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/job', '/job/batch', '/job/{id}', '/job/{id}/status', '/job/{id}/log', '/job/{id}/cancel', '/job/{id}/retry', '/job/{id}/delete', '/job/status', '/job/status/{status}', '/job/cancelall', '/job/vcshook',
        '/arch', '/arch/{id}', '/arch/page/{n}', '/arch/count', '/arch/{id}/delete', '/dist', '/format', '/env', '/suite', '/suitearch', '/status', '/blacklist', '/blacklist/{id}',
        '/package', '/package/names', '/package/details/{name}', '/package/details/{name}/{version}', '/package/{name}/active', '/package/{name}/cancel', '/packageinstance',
        '/buildd', '/buildd/{name}', '/buildd/{name}/status', '/buildd/{name}/jobs', '/buildd/{name}/pause', '/buildd/{name}/resume',
        '/token', '/token/{id}', '/hooks/github', '/hooks/gitlab', '/hooks/gitea',
      ]),
    );
    const submit = document.paths['/job'].post;
    expect(Object.keys(submit.requestBody.content)).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    expect(submit.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/JobSubmission' });
    expect(document.components.schemas.JobSubmission.properties).toHaveProperty('architecture_list');
    expect(submit.responses['422'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(submit.security).toEqual([{ bearer: [] }, { basic: [] }]);
    expect(Object.keys(submit.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '422']));
    expect(document.paths['/job'].get.security).toBeUndefined();
    expect(document.paths['/job'].get.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(expect.arrayContaining(['status', 'package', 'limit', 'cursor']));
    expect(document.components.securitySchemes).toHaveProperty('bearer');
    const ui = await h.call({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });

  it('sees catalogue changes made by others (another replica, a script) on the next request', async () => {
    await handleCommand({ log: h.log, stream: catalogStreamId, decider: catalogDecider, command: { type: 'AddCatalogEntry', kind: 'arch', name: 's390x', description: '', at: new Date().toISOString(), by: 'elsewhere' } });
    expect((await h.call({ method: 'GET', url: '/arch/s390x' })).statusCode).toBe(200);
  });

  it('serves health, readiness and metrics without a token', async () => {
    expect((await h.call({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await h.call({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
    expect((await h.call({ method: 'GET', url: '/metrics' })).body).toContain('tsbit_http_request_duration_seconds');
  });
});

describe('a farm whose reading needs a token', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ readNeedsToken: true });
  });
  afterAll(() => h.close());

  it('refuses reads without a token, takes any role, and keeps the docs and probes open', async () => {
    for (const url of ['/job', '/job/1', '/arch', '/buildd', '/package', '/']) {
      expect([url, (await h.call({ method: 'GET', url })).statusCode]).toEqual([url, 401]);
    }
    expect((await h.call({ method: 'GET', url: '/job', headers: h.as('builder') })).statusCode).toBe(200);
    expect((await h.call({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
    expect((await h.call({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const document = (await h.call({ method: 'GET', url: '/openapi.json' })).json();
    expect(document.paths['/job'].get.security).toEqual([{ bearer: [] }, { basic: [] }]);
  });
});
