import type { FastifyInstance } from 'fastify';
import { builderDecider, builderStreamId, type BuilderCommand } from '@tsbit/domain';
import { handleCommand } from '@tsbit/event-log';
import { notFound } from '@tsbit/service-kit';
import type { RouteContext } from '../app';
import { nameParams, problems } from './schemas';

/** pyBit's buildd resource: the builders, what they run, and an admin's drain and release. */
export function builderRoutes(context: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const tags = ['builders'];
    const get = async (name: string) => {
      const builder = await context.readModels.builders.get(name);
      if (!builder) throw notFound(`no builder "${name}"`);
      return builder;
    };
    for (const url of ['/buildd', '/buildd/']) app.get(url, { schema: { tags, summary: 'Every builder: capabilities, state (idle, building, paused, lost), running jobs' } }, () => context.readModels.builders.list());
    app.get('/buildd/:name', { schema: { tags, summary: 'One builder', params: nameParams, response: { ...problems } } }, (request) => get((request.params as { name: string }).name));
    app.get('/buildd/:name/status', { schema: { tags, summary: "pyBit's Active / Not Active", params: nameParams } }, async (request) => {
      const builder = await get((request.params as { name: string }).name);
      return { name: builder.name, status: builder.state === 'lost' ? 'Not Active' : 'Active', state: builder.state };
    });
    app.get('/buildd/:name/jobs', { schema: { tags, summary: 'Jobs a builder built or builds', params: nameParams } }, async (request) => {
      const builder = await get((request.params as { name: string }).name);
      return context.readModels.jobs.list({ builder: builder.name, limit: 1000 });
    });
    const drain = (type: 'PauseBuilder' | 'ResumeBuilder') => async (request: { params: unknown }) => {
      const { name } = request.params as { name: string };
      const by = context.writer(request as never, 'admin');
      await get(name);
      const command: BuilderCommand = { type, name, by: by.name, at: context.clock().toISOString() };
      await handleCommand({ log: context.log, stream: builderStreamId(name), decider: builderDecider, command, metadata: { causedBy: by } });
      return { name, paused: type === 'PauseBuilder' };
    };
    app.post('/buildd/:name/pause', { schema: { tags, summary: 'Drain a builder: it finishes its builds and takes no new one (admin)', params: nameParams } }, drain('PauseBuilder'));
    app.post('/buildd/:name/resume', { schema: { tags, summary: 'Let a drained builder take work again (admin)', params: nameParams } }, drain('ResumeBuilder'));
  };
}
