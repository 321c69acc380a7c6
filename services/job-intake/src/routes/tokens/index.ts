import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { accessDecider, accessStreamId } from '@tsbit/domain';
import { handleCommand } from '@tsbit/event-log';
import { mintToken, notFound } from '@tsbit/service-kit';
import type { JobIntakeContext } from '../../context';
import { actorOf, metadataOf } from '../../http/access';
import { problems } from '../../http/schemas';

const tags = ['access'];
const config = { access: 'admin' as const };
const Role = Type.Enum(['admin', 'submitter', 'builder'], { description: 'admin: everything; submitter: submit and change jobs; builder: report builds' });

const NewToken = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64, description: 'who uses it; recorded as the actor of every change made with it' }), role: Role },
  { additionalProperties: false },
);
const Issued = Type.Object({
  tokenId: Type.String(),
  name: Type.String(),
  role: Role,
  token: Type.String({ description: 'the secret: shown in this response only' }),
});
const TokenView = Type.Object({
  tokenId: Type.String(),
  name: Type.String(),
  role: Role,
  revoked: Type.Boolean(),
  issuedBy: Type.String(),
  issuedAt: Type.String({ format: 'date-time' }),
});
const TokenParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'tokenId' }) }, { additionalProperties: false });

/** API tokens: issued and revoked by admins. Only the secret's hash is kept, so it is shown once. */
export function tokenRoutes(context: JobIntakeContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/token',
      {
        config,
        schema: {
          tags,
          summary: 'Issue a token; the secret is in this response only',
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          body: NewToken,
          response: { 201: Issued, ...problems(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const by = actorOf(request);
        const { name, role } = request.body;
        const minted = mintToken();
        await handleCommand({
          log: context.log,
          stream: accessStreamId,
          decider: accessDecider,
          command: { type: 'IssueToken', tokenId: minted.tokenId, name, role, secretSha256: minted.secretSha256, by: by.name, at: context.clock().toISOString() },
          metadata: metadataOf(request, by),
        });
        return reply.status(201).header('location', `/token/${minted.tokenId}`).send({ tokenId: minted.tokenId, name, role, token: minted.token });
      },
    );
    app.get('/token', { config, schema: { tags, summary: 'Every token, without secrets', response: { 200: Type.Array(TokenView), ...problems(401, 403) } } }, () => context.readModels.tokens.list());
    app.get('/token/:id', { config, schema: { tags, summary: 'One token, without its secret', params: TokenParams, response: { 200: TokenView, ...problems(400, 401, 403, 404) } } }, async (request) => {
      const token = (await context.readModels.tokens.list()).find((candidate) => candidate.tokenId === request.params.id);
      if (!token) throw notFound(`no token ${request.params.id}`);
      return token;
    });
    const revoke = async (request: FastifyRequest<{ Params: Static<typeof TokenParams> }>) => {
      const by = actorOf(request);
      await handleCommand({
        log: context.log,
        stream: accessStreamId,
        decider: accessDecider,
        command: { type: 'RevokeToken', tokenId: request.params.id, by: by.name, at: context.clock().toISOString() },
        metadata: metadataOf(request, by),
      });
      return { tokenId: request.params.id, revoked: true };
    };
    const revoked = { 200: Type.Object({ tokenId: Type.String(), revoked: Type.Boolean() }), ...problems(400, 401, 403, 404, 409) };
    app.delete('/token/:id', { config, schema: { tags, summary: 'Revoke a token (409 for the last live admin token)', params: TokenParams, response: revoked } }, revoke);
    app.post('/token/:id/delete', { config, schema: { tags, summary: 'Revoke a token (HTML forms)', params: TokenParams, response: revoked } }, revoke);
  };
}
