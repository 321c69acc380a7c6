import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JobListQuery as ReadModelQuery } from '@tsbit/read-models';
import { conflict, notFound } from '@tsbit/service-kit';
import type { JobIntakeContext } from '../../context';
import { actorOf, metadataOf } from '../../http/access';
import { JobIdParams, JobPage, JobSummary, JobView, JobHistoryEntry, problems } from '../../http/schemas';
import { cancelMatching, changeJob, type JobChange } from '../../jobs/commands';
import { JobSubmission, jobRequestFrom } from '../../jobs/job-request';
import { listJobs } from '../../jobs/list';
import { requestRebuildCheck } from '../../jobs/rebuild-check';
import { submitJobs } from '../../jobs/submission';
import { Batch, Cancelled, JobListQuery, MAX_BATCH_JOBS, StatusParams, StatusUpdate, Submitted } from './schemas';

/** A batch of 5,000 jobs is about 1 MiB of JSON; room for long URLs and dependency lists. */
const BATCH_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
const tags = ['jobs'];
const LogQuery = Type.Object({
  follow: Type.Optional(Type.Union(['1', 'true', '0', 'false'].map((value) => Type.Literal(value)), { description: 'follow the log as server-sent events (passed on to the log)' })),
});
const FORMS = ['application/json', 'application/x-www-form-urlencoded'];

/** `Link: <same query, next cursor>; rel="next"`, as RFC 8288 pages. */
function nextLink(request: FastifyRequest, cursor: string): string {
  const [path, query = ''] = request.url.split('?');
  const params = new URLSearchParams(query);
  params.set('cursor', cursor);
  return `<${path}?${params.toString()}>; rel="next"`;
}

/**
 * `/job`: submit (JSON or pyBit's form fields, one job per architecture), list and read, and the
 * changes a user may make: cancel, retry, delete. Progress is the builders' to report, over
 * RabbitMQ, so pyBit's status updates are refused except Cancelled.
 */
export function jobRoutes(context: JobIntakeContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const list = async (query: ReadModelQuery, request: FastifyRequest, reply: FastifyReply) => {
      const page = await listJobs(context.readModels, query);
      if (page.nextCursor) void reply.header('link', nextLink(request, page.nextCursor));
      return page;
    };
    const change = async (request: FastifyRequest, id: number, what: JobChange) => {
      const by = actorOf(request);
      return changeJob(context, id, what, { by, metadata: metadataOf(request, by) });
    };
    /** The job after a cancel or retry, as its stream says now. */
    const changedJob = async (request: FastifyRequest, id: number, what: 'cancel' | 'retry') => {
      const { job } = await change(request, id, what);
      if (!job) throw notFound(`no job ${id}`);
      return job;
    };
    const cancelAll = async (request: FastifyRequest) => {
      const by = actorOf(request);
      return { cancelled: await cancelMatching(context, {}, { by, metadata: metadataOf(request, by), why: `every unfinished job cancelled by ${by.name}` }) };
    };

    for (const method of ['POST', 'PUT'] as const) {
      for (const url of ['/job', '/job/']) {
        app.route({
          method,
          url,
          config: { access: 'submit' },
          schema: {
            tags,
            summary: 'Submit a job: one per architecture ("any": every one of the suite, "all": its master)',
            description: "JSON, or pyBit's form fields (package, version, suite, distribution, architecture_list, format, method, uri, vcs_id). Older unfinished jobs of the same package, dist, suite, arch and env are cancelled as superseded.",
            hide: url.endsWith('/'),
            consumes: FORMS,
            body: JobSubmission,
            response: { 201: Submitted, ...problems(400, 401, 403, 422) },
          },
          handler: async (request, reply) => {
            const by = actorOf(request);
            const jobs = await submitJobs(context, [jobRequestFrom(request.body, by.name)], { by, metadata: metadataOf(request, by) });
            const [first] = jobs;
            void reply.status(201).header('location', `/job/${first?.id}`);
            return jobs.length === 1 && first ? first : { jobs };
          },
        });
      }
    }

    app.post(
      '/job/batch',
      {
        config: { access: 'submit' },
        bodyLimit: BATCH_BODY_LIMIT_BYTES,
        schema: {
          tags,
          summary: `Submit up to ${MAX_BATCH_JOBS} jobs in one atomic append (mass rebuilds)`,
          body: Batch,
          response: { 201: Type.Object({ ids: Type.Array(Type.Integer(), { description: 'in the order of the jobs and their architectures' }) }), ...problems(400, 401, 403, 422) },
        },
      },
      async (request, reply) => {
        const by = actorOf(request);
        const requests = request.body.jobs.map((body, index) => jobRequestFrom(body, by.name, `jobs.${index}.`));
        const jobs = await submitJobs(context, requests, { by, metadata: metadataOf(request, by), prefix: (index) => `jobs.${index}.` });
        return reply.status(201).send({ ids: jobs.map((job) => job.id) });
      },
    );

    for (const url of ['/job', '/job/']) {
      app.get(
        url,
        {
          config: { access: 'read' },
          schema: { tags, summary: 'Jobs, newest first: filter, order, page with a cursor (Link: rel="next")', hide: url.endsWith('/'), querystring: JobListQuery, response: { 200: JobPage, ...problems(400, 401, 403) } },
        },
        (request, reply) => list(request.query, request, reply),
      );
      app.delete(
        url,
        { config: { access: 'admin' }, schema: { tags, summary: 'Cancel every unfinished job', hide: url.endsWith('/'), response: { 202: Cancelled, ...problems(401, 403) } } },
        async (request, reply) => reply.status(202).send(await cancelAll(request)),
      );
    }
    app.get(
      '/job/cancelall',
      { config: { access: 'admin' }, schema: { tags, summary: "Cancel every unfinished job (pyBit's route)", response: { 202: Cancelled, ...problems(401, 403) } } },
      async (request, reply) => reply.status(202).send(await cancelAll(request)),
    );

    app.get(
      '/job/status',
      { config: { access: 'read' }, schema: { tags, summary: 'Unfinished jobs: Waiting, Blocked, Building, Cancelling', querystring: JobListQuery, response: { 200: JobPage, ...problems(400, 401, 403) } } },
      (request, reply) => list({ ...request.query, unfinished: true }, request, reply),
    );
    app.get(
      '/job/status/:status',
      { config: { access: 'read' }, schema: { tags, summary: 'Jobs in one status', params: StatusParams, querystring: JobListQuery, response: { 200: JobPage, ...problems(400, 401, 403) } } },
      (request, reply) => list({ ...request.query, status: request.params.status }, request, reply),
    );

    app.get(
      '/job/:id',
      { config: { access: 'read' }, schema: { tags, summary: 'One job: status and why, attempt, builder, history, artifacts', params: JobIdParams, response: { 200: JobView, ...problems(400, 401, 403, 404) } } },
      async (request) => {
        const job = await context.readModels.jobs.get(request.params.id);
        if (!job) throw notFound(`no job ${request.params.id}`);
        return job;
      },
    );
    app.get(
      '/job/:id/status',
      { config: { access: 'read' }, schema: { tags, summary: "A job's status history", params: JobIdParams, response: { 200: Type.Array(JobHistoryEntry), ...problems(400, 401, 403, 404) } } },
      async (request) => {
        const history = await context.readModels.jobs.history(request.params.id);
        if (!history || history.length === 0) throw notFound(`no job ${request.params.id}`);
        return history;
      },
    );
    app.get(
      '/job/:id/log',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: "Redirects (302) to the build log of the latest attempt that started, also while it builds",
          description:
            'The log is served by the artifact service at `/logs/jobs/<id>/attempts/<n>`: what exists so far while the job builds, ' +
            'a `Range` of it (206), or, with `Accept: text/event-stream` or `?follow=1`, its lines as server-sent events until the ' +
            'log is complete (an `end` event), each event\'s `id` being the byte offset after it, resumed from `Last-Event-ID`.',
          params: JobIdParams,
          querystring: LogQuery,
          response: { 302: Type.Null({ description: 'Location: `/logs/jobs/<id>/attempts/<n>`, with `?follow=1` when asked' }), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const id = request.params.id;
        // The builder streams its log from the start of a build: an attempt that started has one.
        // Logs recorded as artifacts cover attempts from before live logs.
        const [history, artifacts] = await Promise.all([context.readModels.jobs.history(id), context.readModels.artifacts.forJob(id)]);
        const started = (history ?? []).filter((entry) => entry.event === 'BuildStarted').map((entry) => entry.attempt);
        const logged = artifacts.filter((artifact) => artifact.kind === 'log').map((artifact) => artifact.attempt);
        const attempt = Math.max(0, ...started, ...logged);
        if (attempt === 0) throw notFound(`job ${id} has no build log`);
        const follow = request.query.follow === '1' || request.query.follow === 'true';
        return reply.redirect(`/logs/jobs/${id}/attempts/${attempt}${follow ? '?follow=1' : ''}`, 302);
      },
    );

    const jobChange = (what: 'cancel' | 'retry', summary: string) => ({
      config: { access: 'submit' as const },
      schema: { tags, summary, params: JobIdParams, response: { 202: JobSummary, ...problems(400, 401, 403, 404, 409) } },
    });
    const changed = (what: 'cancel' | 'retry') => async (request: FastifyRequest<{ Params: { id: number } }>, reply: FastifyReply) =>
      reply.status(202).send(await changedJob(request, request.params.id, what));
    app.post('/job/:id/cancel', jobChange('cancel', 'Cancel a job: at once when waiting, through its builder when building'), changed('cancel'));
    app.get('/job/:id/cancel', jobChange('cancel', "Cancel a job (pyBit's route)"), changed('cancel'));
    app.post('/job/:id/retry', jobChange('retry', 'Retry a failed or cancelled job as its next attempt'), changed('retry'));
    app.get('/job/:id/retry', jobChange('retry', "Retry a failed or cancelled job (pyBit's route)"), changed('retry'));

    app.post(
      '/job/:id/rebuild-check',
      {
        config: { access: 'submit' },
        schema: {
          tags,
          summary: 'Build a Done job again from its recorded inputs on another builder, to check that its binaries are bit-for-bit the same',
          description:
            'Creates a new job (201, `Location: /job/<new id>`) with the same package, version, suite, architecture, format, environment and ' +
            'the source pinned to what the original built (the recorded git commit or svn revision; a .dsc or apt source as recorded). ' +
            'It is dispatched only while a builder other than the original\'s can take it, supersedes nothing and is superseded by nothing. ' +
            'Its `GET /job/<id>` shows `rebuildCheck` (pending, identical, different or failed, with each binary\'s sha256 and the inputs that ' +
            'differ); the original lists it under `rebuildChecks`. 409 (`code` not_done or no_recorded_inputs) when the job is not Done or recorded no inputs.',
          params: JobIdParams,
          response: { 201: JobSummary, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const by = actorOf(request);
        const check = await requestRebuildCheck(context, request.params.id, { by, metadata: metadataOf(request, by) });
        return reply.status(201).header('location', `/job/${check.id}`).send(check);
      },
    );

    const removal = (summary: string) => ({
      config: { access: 'submit' as const },
      schema: { tags, summary, params: JobIdParams, response: { 200: Type.Object({ deleted: Type.Integer() }), ...problems(400, 401, 403, 404, 409) } },
    });
    const remove = async (request: FastifyRequest<{ Params: { id: number } }>) => {
      await change(request, request.params.id, 'delete');
      return { deleted: request.params.id };
    };
    app.delete('/job/:id', removal('Delete a job from the lists (refused while it builds)'), remove);
    app.get('/job/:id/delete', removal("Delete a job (pyBit's route)"), remove);
    app.post('/job/:id/delete', removal('Delete a job (HTML forms)'), remove);

    for (const method of ['PUT', 'POST'] as const) {
      app.route({
        method,
        url: '/job/:id',
        config: { access: 'submit' },
        schema: {
          tags,
          summary: "pyBit's status update: only status=Cancelled is taken",
          description: 'Builders report progress over RabbitMQ, so any other status is refused with 409.',
          consumes: FORMS,
          params: JobIdParams,
          body: StatusUpdate,
          response: { 202: JobSummary, ...problems(400, 401, 403, 404, 409) },
        },
        handler: async (request, reply) => {
          if (request.body.status !== 'Cancelled') {
            throw conflict(`status: builders report progress over RabbitMQ; through the API a job can only be set to Cancelled (asked: ${request.body.status})`, 'status');
          }
          return reply.status(202).send(await changedJob(request, request.params.id, 'cancel'));
        },
      });
    }
  };
}
