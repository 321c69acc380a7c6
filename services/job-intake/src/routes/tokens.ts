import type { FastifyInstance } from 'fastify';
import { accessDecider, accessStreamId, type Role } from '@tsbit/domain';
import { handleCommand } from '@tsbit/event-log';
import { mintToken, notFound } from '@tsbit/service-kit';
import type { RouteContext } from '../app';
import { problems } from './schemas';

/** API tokens: issued and revoked by admins; the secret is shown once and only its hash is kept. */
export function tokenRoutes(context: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const tags = ['access'];
    app.post(
      '/token',
      {
        schema: {
          tags,
          summary: 'Issue a token (admin); the token is in this response only',
          body: { type: 'object', required: ['name', 'role'], properties: { name: { type: 'string' }, role: { type: 'string', enum: ['admin', 'submitter', 'builder'] } } },
          response: { 201: { type: 'object', properties: { tokenId: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, token: { type: 'string' } } }, ...problems },
        },
      },
      async (request, reply) => {
        const by = context.writer(request, 'admin');
        const { name, role } = request.body as { name: string; role: Role };
        const minted = mintToken();
        await handleCommand({
          log: context.log,
          stream: accessStreamId,
          decider: accessDecider,
          command: { type: 'IssueToken', tokenId: minted.tokenId, name, role, secretSha256: minted.secretSha256, by: by.name, at: context.clock().toISOString() },
          metadata: { causedBy: by },
        });
        return reply.status(201).send({ tokenId: minted.tokenId, name, role, token: minted.token });
      },
    );
    app.get('/token', { schema: { tags, summary: 'Every token, without secrets (admin)' } }, async (request) => {
      context.writer(request, 'admin');
      return context.readModels.tokens.list();
    });
    app.delete('/token/:id', { schema: { tags, summary: 'Revoke a token (admin)', params: { type: 'object', properties: { id: { type: 'string' } } }, response: { ...problems } } }, async (request) => {
      const by = context.writer(request, 'admin');
      const { id } = request.params as { id: string };
      if (!(await context.readModels.tokens.get(id))) throw notFound(`no token ${id}`);
      await handleCommand({ log: context.log, stream: accessStreamId, decider: accessDecider, command: { type: 'RevokeToken', tokenId: id, by: by.name, at: context.clock().toISOString() }, metadata: { causedBy: by } });
      return { tokenId: id, revoked: true };
    });
  };
}
