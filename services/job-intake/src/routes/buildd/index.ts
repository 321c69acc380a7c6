import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { builderDecider, builderStreamId } from '@tsbit/domain';
import { handleCommand } from '@tsbit/event-log';
import type { BuilderView } from '@tsbit/read-models';
import { notFound } from '@tsbit/service-kit';
import type { JobIntakeContext } from '../../context';
import { actorOf, metadataOf } from '../../http/access';
import { listRoutes, PAGE_SIZE } from '../../http/collection';
import { Count, JobPage, NameParams, PageParams, problems } from '../../http/schemas';
import { listJobs } from '../../jobs/list';
import { JobListQuery } from '../job/schemas';

const tag = 'builders';
const tags = [tag];
const config = { access: 'read' as const };

const ArchSupport = Type.Object({
  suite: Type.String(),
  arch: Type.String(),
  mode: Type.Enum(['native', 'cross', 'emulated'], {
    description: 'native: on the architecture (or one its CPU runs, i386 on amd64); cross: cross-compiling for it (sbuild --host); emulated: under qemu-user through binfmt_misc',
  }),
  chroot: Type.String({ description: 'the chroot tarball it builds in (sbuild); empty for the native back end' }),
});
const ArchUnavailable = Type.Object({
  suite: Type.String(),
  arch: Type.String(),
  reason: Type.String({ description: 'why it cannot build it' }),
  fix: Type.String({ description: 'the one command that makes it work' }),
});

const Builder = Type.Object({
  name: Type.String(),
  arches: Type.Array(Type.String()),
  suites: Type.Array(Type.String()),
  formats: Type.Array(Type.String()),
  slots: Type.Integer({ description: 'builds it runs at once' }),
  archSupport: Type.Array(ArchSupport, {
    description: 'how it serves each (suite, arch) for deb builds, as it last said (it probes again before each hello, so a chroot made while it runs shows here); empty from builders that do not say',
  }),
  unavailable: Type.Array(ArchUnavailable, { description: 'the (suite, arch) pairs it was asked to serve but cannot build, each with the reason and the fix' }),
  state: Type.Enum(['idle', 'building', 'paused', 'lost']),
  runningJobs: Type.Array(Type.Integer()),
  registeredAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({
    format: 'date-time',
    description: 'when the log last recorded something of it (registered, a build started or ended, paused); heartbeats are not events, so a live builder may show an older time: `state` says whether it is live',
  }),
});
const BuilderStatus = Type.Object({
  name: Type.String(),
  status: Type.Enum(['Active', 'Not Active'], { description: "pyBit's answer: Active while it takes work (idle or building)" }),
  state: Type.Enum(['idle', 'building', 'paused', 'lost']),
});
const Drained = Type.Object({ name: Type.String(), paused: Type.Boolean() });
const { status, unfinished, order, limit, cursor } = JobListQuery.properties;
const BuilderJobsQuery = Type.Object({ status, unfinished, order, limit, cursor }, { additionalProperties: false });

const ACTIVE_STATES: ReadonlySet<BuilderView['state']> = new Set(['idle', 'building']);

/**
 * pyBit's `buildd` resource: the builders (they register themselves over RabbitMQ), what they run,
 * and an admin's drain (pause: finish the running builds, take no new one) and release.
 */
export function builderRoutes(context: JobIntakeContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const builder = async (name: string) => {
      const found = await context.readModels.builders.get(name);
      if (!found) throw notFound(`no builder "${name}"`);
      return found;
    };
    const builders = () => context.readModels.builders.list();

    listRoutes(app, {
      resource: 'buildd',
      tag,
      summary: 'Every builder: capabilities, state, running jobs; filter, sort, page with a cursor (Link: rel="next")',
      item: Builder,
      key: (found: BuilderView) => [found.name],
      items: builders,
    });
    app.get('/buildd/page/:n', { config, schema: { tags, summary: `A page of ${PAGE_SIZE} builders`, params: PageParams, response: { 200: Type.Array(Builder), ...problems(400, 401, 403) } } }, async (request) =>
      (await builders()).slice((request.params.n - 1) * PAGE_SIZE, request.params.n * PAGE_SIZE),
    );
    app.get('/buildd/count', { config, schema: { tags, summary: 'How many builders, and pages', response: { 200: Count, ...problems(401, 403) } } }, async () => {
      const total = (await builders()).length;
      return { total, pages: Math.ceil(total / PAGE_SIZE), pageSize: PAGE_SIZE };
    });
    app.get('/buildd/:name', { config, schema: { tags, summary: 'One builder', params: NameParams, response: { 200: Builder, ...problems(400, 401, 403, 404) } } }, (request) => builder(request.params.name));
    app.get('/buildd/:name/status', { config, schema: { tags, summary: "pyBit's Active / Not Active", params: NameParams, response: { 200: BuilderStatus, ...problems(400, 401, 403, 404) } } }, async (request) => {
      const found = await builder(request.params.name);
      return { name: found.name, status: ACTIVE_STATES.has(found.state) ? ('Active' as const) : ('Not Active' as const), state: found.state };
    });
    app.get(
      '/buildd/:name/jobs',
      { config, schema: { tags, summary: 'Jobs a builder built or builds, newest first', params: NameParams, querystring: BuilderJobsQuery, response: { 200: JobPage, ...problems(400, 401, 403, 404) } } },
      async (request) => {
        const found = await builder(request.params.name);
        return listJobs(context.readModels, { ...request.query, builder: found.name });
      },
    );

    /** Runs an admin's command on the named builder's stream, then answers `answer(name)`. */
    const byAdmin =
      <T>(type: 'PauseBuilder' | 'ResumeBuilder' | 'RetireBuilder', answer: (name: string) => T) =>
      async (request: FastifyRequest<{ Params: { name: string } }>): Promise<T> => {
        const by = actorOf(request);
        const { name } = request.params;
        await handleCommand({
          log: context.log,
          stream: builderStreamId(name),
          decider: builderDecider,
          command: { type, name, by: by.name, at: context.clock().toISOString() },
          metadata: metadataOf(request, by),
        });
        return answer(name);
      };
    const drainSchema = (summary: string) => ({ config: { access: 'admin' as const }, schema: { tags, summary, params: NameParams, response: { 200: Drained, ...problems(400, 401, 403, 404) } } });
    app.post('/buildd/:name/pause', drainSchema('Drain a builder: it finishes its builds and takes no new one'), byAdmin('PauseBuilder', (name) => ({ name, paused: true })));
    app.post('/buildd/:name/resume', drainSchema('Let a drained builder take work again'), byAdmin('ResumeBuilder', (name) => ({ name, paused: false })));

    const retire = byAdmin('RetireBuilder', (name) => ({ deleted: name }));
    const retireSchema = (summary: string) => ({
      config: { access: 'admin' as const },
      schema: { tags, summary, params: NameParams, response: { 200: Type.Object({ deleted: Type.String() }), ...problems(400, 401, 403, 404, 409) } },
    });
    app.delete('/buildd/:name', retireSchema('Remove a lost or drained builder from the list (409 while it is online); it registers anew if it comes back'), retire);
    app.get('/buildd/:name/delete', retireSchema("Remove a builder (pyBit's route for HTML links)"), retire);
    app.post('/buildd/:name/delete', retireSchema('Remove a builder (HTML forms)'), retire);
  };
}
