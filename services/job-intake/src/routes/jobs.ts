import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jobDecider, jobStatuses, jobStatusOf, jobStreamId, reason, type Actor, type JobCommand, type JobStatus } from '@tsbit/domain';
import { handleCommand } from '@tsbit/event-log';
import type { JobListQuery } from '@tsbit/read-models';
import { badRequest, conflict, notFound } from '@tsbit/service-kit';
import type { RouteContext } from '../app';
import { jobRequestFrom, MAX_BATCH_JOBS, submitJobs } from '../submission';
import { idParams, jobSummarySchema, problems } from './schemas';

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: [...jobStatuses] },
    package: { type: 'string' },
    version: { type: 'string' },
    suite: { type: 'string' },
    dist: { type: 'string' },
    arch: { type: 'string' },
    format: { type: 'string' },
    env: { type: 'string' },
    project: { type: 'string' },
    builder: { type: 'string' },
    unfinished: { type: 'boolean' },
    order: { type: 'string', enum: ['newest', 'oldest'] },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
    cursor: { type: 'string', maxLength: 64 },
  },
} as const;

const listResponse = { type: 'object', properties: { items: { type: 'array', items: jobSummarySchema }, nextCursor: { type: ['string', 'null'] }, total: { type: 'integer' } } } as const;

const submissionBody = {
  type: 'object',
  description: 'A job: JSON as below, or pyBit form fields (package, version, suite, distribution, architecture_list, format, method, uri, vcs_id)',
  properties: {
    package: { type: 'string' },
    version: { type: 'string' },
    suite: { type: 'string' },
    dist: { type: 'string' },
    arch: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'an architecture, a list, "any" (all the suite builds) or "all" (its master only)' },
    format: { type: 'string', enum: ['deb', 'rpm'] },
    env: { type: 'string' },
    source: {
      type: 'object',
      required: ['method', 'url'],
      properties: { method: { type: 'string', enum: ['git', 'svn', 'apt', 'dsc'] }, url: { type: 'string' }, ref: { type: 'string' } },
    },
    priority: { type: 'integer', minimum: -10, maximum: 10 },
    project: { type: 'string' },
    dependsOn: { type: 'array', items: { type: 'integer', minimum: 1 } },
    dependsOnPackages: { type: 'array', items: { type: 'string' }, description: 'wait for the newest job of these source packages for the same suite and architecture' },
  },
} as const;

export function jobRoutes(context: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const list = async (query: JobListQuery, request: FastifyRequest, reply: FastifyReply) => {
      let page;
      try {
        page = await context.readModels.jobs.list(query);
      } catch (error) {
        if (error instanceof RangeError) throw badRequest(error.message, 'cursor');
        throw error;
      }
      if (page.nextCursor) {
        const next = new URLSearchParams({ ...(request.query as Record<string, string>), cursor: page.nextCursor });
        void reply.header('link', `<${request.url.split('?')[0]}?${next}>; rel="next"`);
      }
      return page;
    };

    const command = async (id: number, make: (at: string) => JobCommand, by: Actor) => {
      if (!(await context.readModels.jobs.get(id)) && (await context.log.readStream(jobStreamId(id))).length === 0) throw notFound(`no job ${id}`);
      const { state } = await handleCommand({ log: context.log, stream: jobStreamId(id), decider: jobDecider, command: make(context.clock().toISOString()), metadata: { causedBy: by } });
      return { id, status: jobStatusOf(state) };
    };

    const cancel = (id: number, by: Actor) => command(id, (at) => ({ type: 'CancelJob', at, by, reason: reason('cancelled_by_user', `cancelled by ${by.name}`) }), by);
    const retry = (id: number, by: Actor) => command(id, (at) => ({ type: 'RetryJob', at, by, automatic: false }), by);
    const remove = (id: number, by: Actor) => command(id, (at) => ({ type: 'DeleteJob', at, by }), by);

    const cancelAll = async (by: Actor): Promise<{ cancelled: number }> => {
      let cancelled = 0;
      for (;;) {
        const { items } = await context.readModels.jobs.list({ unfinished: true, limit: 1000, order: 'oldest' });
        const live = items.filter((job) => job.status !== 'Cancelling');
        if (live.length === 0) return { cancelled };
        for (const job of live) {
          await cancel(job.id, by).catch(() => undefined);
          cancelled += 1;
        }
        if (items.length < 1000) return { cancelled };
      }
    };

    const submitRoute = async (request: FastifyRequest, reply: FastifyReply) => {
      const by = context.writer(request, 'submit');
      const jobs = await submitJobs(context, [jobRequestFrom(request.body as Record<string, unknown>, by)], by);
      const [first] = jobs;
      void reply.status(201).header('location', `/job/${first?.id}`);
      return jobs.length === 1 ? first : { jobs };
    };
    const submitSchema = { tags: ['jobs'], summary: 'Submit a job (one per architecture)', body: submissionBody, response: { 201: { anyOf: [jobSummarySchema, { type: 'object', properties: { jobs: { type: 'array', items: jobSummarySchema } } }] }, ...problems } };
    for (const url of ['/job', '/job/']) {
      app.post(url, { schema: submitSchema }, submitRoute);
      app.put(url, { schema: { ...submitSchema, hide: true } }, submitRoute);
    }

    app.post(
      '/job/batch',
      {
        schema: {
          tags: ['jobs'],
          summary: `Submit up to ${MAX_BATCH_JOBS} jobs at once (mass rebuilds)`,
          body: { type: 'object', required: ['jobs'], properties: { jobs: { type: 'array', minItems: 1, maxItems: MAX_BATCH_JOBS, items: submissionBody } } },
          response: { 201: { type: 'object', properties: { ids: { type: 'array', items: { type: 'integer' } } } }, ...problems },
        },
      },
      async (request, reply) => {
        const by = context.writer(request, 'submit');
        const bodies = (request.body as { jobs: Record<string, unknown>[] }).jobs;
        const requests = bodies.map((body, index) => {
          try {
            return jobRequestFrom(body, by);
          } catch (error) {
            const problem = error as { field?: string; message: string };
            throw badRequest(`jobs[${index}].${problem.message}`, `jobs[${index}].${problem.field ?? ''}`);
          }
        });
        const jobs = await submitJobs(context, requests, by);
        return reply.status(201).send({ ids: jobs.map((job) => job.id) });
      },
    );

    for (const url of ['/job', '/job/']) {
      app.get(url, { schema: { tags: ['jobs'], summary: 'Every job, newest first; filter, sort, page with a cursor', querystring: listQuery, response: { 200: listResponse, ...problems } } }, (request, reply) =>
        list(request.query as JobListQuery, request, reply),
      );
      app.delete(url, { schema: { tags: ['jobs'], summary: 'Cancel every unfinished job', response: { 202: { type: 'object', properties: { cancelled: { type: 'integer' } } }, ...problems } } }, async (request, reply) =>
        reply.status(202).send(await cancelAll(context.writer(request, 'submit'))),
      );
    }
    app.get('/job/cancelall', { schema: { tags: ['jobs'], summary: "Cancel every unfinished job (pyBit's GET form)" } }, async (request, reply) => reply.status(202).send(await cancelAll(context.writer(request, 'submit'))));
    app.get('/job/status', { schema: { tags: ['jobs'], summary: 'Unfinished jobs', querystring: listQuery, response: { 200: listResponse } } }, (request, reply) =>
      list({ ...(request.query as JobListQuery), unfinished: true }, request, reply),
    );
    app.get(
      '/job/status/:status',
      { schema: { tags: ['jobs'], summary: 'Jobs in one status', params: { type: 'object', properties: { status: { type: 'string', enum: [...jobStatuses] } } }, querystring: listQuery, response: { 200: listResponse, ...problems } } },
      (request, reply) => list({ ...(request.query as JobListQuery), status: (request.params as { status: JobStatus }).status }, request, reply),
    );

    app.get('/job/:id', { schema: { tags: ['jobs'], summary: 'One job: status, reason, history, artifacts', params: idParams, response: { 200: { ...jobSummarySchema, additionalProperties: true }, ...problems } } }, async (request) => {
      const { id } = request.params as { id: number };
      const job = await context.readModels.jobs.get(id);
      if (!job) throw notFound(`no job ${id}`);
      return job;
    });
    app.get('/job/:id/status', { schema: { tags: ['jobs'], summary: 'The status history of a job', params: idParams } }, async (request) => {
      const { id } = request.params as { id: number };
      if (!(await context.readModels.jobs.get(id))) throw notFound(`no job ${id}`);
      return context.readModels.jobs.history(id);
    });
    app.get('/job/:id/log', { schema: { tags: ['jobs'], summary: 'Redirects to the build log of the latest attempt', params: idParams } }, async (request, reply) => {
      const { id } = request.params as { id: number };
      const logs = (await context.readModels.artifacts.forJob(id)).filter((artifact) => artifact.kind === 'log');
      const latest = logs[logs.length - 1];
      if (!latest) throw notFound(`job ${id} has no build log yet`);
      return reply.redirect(latest.url, 302);
    });

    const byId = (handler: (id: number, by: Actor) => Promise<unknown>, status: number) => async (request: FastifyRequest, reply: FastifyReply) =>
      reply.status(status).send(await handler((request.params as { id: number }).id, context.writer(request, 'submit')));
    const action = { params: idParams, response: { ...problems } };
    app.post('/job/:id/cancel', { schema: { tags: ['jobs'], summary: 'Cancel a job; a building one is stopped on its builder', ...action } }, byId(cancel, 202));
    app.get('/job/:id/cancel', { schema: { tags: ['jobs'], summary: "Cancel a job (pyBit's GET form)", ...action } }, byId(cancel, 202));
    app.post('/job/:id/retry', { schema: { tags: ['jobs'], summary: 'Retry a failed or cancelled job as a new attempt', ...action } }, byId(retry, 202));
    app.get('/job/:id/retry', { schema: { tags: ['jobs'], summary: "Retry (pyBit's GET form)", ...action } }, byId(retry, 202));
    app.delete('/job/:id', { schema: { tags: ['jobs'], summary: 'Delete a job (refused while it builds)', ...action } }, byId(remove, 200));
    app.get('/job/:id/delete', { schema: { tags: ['jobs'], summary: 'Delete (HTML forms)', ...action } }, byId(remove, 200));
    app.post('/job/:id/delete', { schema: { tags: ['jobs'], summary: 'Delete (HTML forms)', ...action } }, byId(remove, 200));

    const setStatus = async (request: FastifyRequest, reply: FastifyReply) => {
      const { id } = request.params as { id: number };
      const status = (request.body as { status?: string } | undefined)?.status;
      if (!status) throw badRequest('status: is required', 'status');
      if (status !== 'Cancelled') {
        throw conflict(`status: builders report progress over RabbitMQ; through the API a job can only be set to Cancelled (asked: ${status})`, 'status');
      }
      return reply.status(202).send(await cancel(id, context.writer(request, 'submit')));
    };
    app.put('/job/:id', { schema: { tags: ['jobs'], summary: "Set a job's status (pyBit clients): only Cancelled", params: idParams } }, setStatus);
    app.post('/job/:id', { schema: { tags: ['jobs'], summary: "Set a job's status (pyBit clients): only Cancelled", params: idParams } }, setStatus);

  };
}
