import { DomainError } from '@tsbit/domain';
import { createHttpServer } from './http';
import { createLogger } from './logger';
import { conflict } from './problems';

describe('every service HTTP server', () => {
  const logger = createLogger('test', 'silent');

  it('answers /healthz, and /readyz by what the readiness probe says', async () => {
    let ready = false;
    const app = createHttpServer({ logger, ready: () => ready });
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    expect((await app.inject('/readyz')).statusCode).toBe(503);
    ready = true;
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    await app.close();
  });

  it('serves Prometheus metrics', async () => {
    const app = createHttpServer({ logger, ready: () => true });
    const response = await app.inject('/metrics');
    expect(response.body).toContain('tsbit_process_cpu_seconds_total');
    await app.inject('/healthz');
    const after = await app.inject('/metrics');
    expect(after.body).toMatch(/tsbit_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} [1-9]/);
    await app.close();
  });

  it('turns typed errors into problem+json naming the field', async () => {
    const app = createHttpServer({ logger, ready: () => true });
    app.get('/domain', async () => {
      throw new DomainError('unprocessable', 'suite "sid" is not in the catalogue', 'suite');
    });
    app.get('/conflict', async () => {
      throw conflict('job 1 is Done');
    });
    app.get('/boom', async () => {
      throw new Error('password=hunter2');
    });
    app.post('/body', { schema: { body: { type: 'object', required: ['package'], properties: { package: { type: 'string' } } } } }, async () => 'ok');

    const domain = await app.inject('/domain');
    expect(domain.statusCode).toBe(422);
    expect(domain.headers['content-type']).toContain('application/problem+json');
    expect(domain.json()).toMatchObject({ status: 422, field: 'suite', detail: 'suite "sid" is not in the catalogue' });
    expect((await app.inject('/conflict')).json()).toMatchObject({ status: 409, title: 'Conflict' });

    const boom = await app.inject('/boom');
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toContain('hunter2');

    const missing = await app.inject({ method: 'POST', url: '/body', payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ field: 'package' });
    expect((await app.inject('/nowhere')).json()).toMatchObject({ status: 404 });
    await app.close();
  });
});
