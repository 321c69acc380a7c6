import { randomUUID } from 'node:crypto';
import { context as otelContext, propagation } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { JsonObject } from '@tsbit/contracts';
import type { Actor } from '@tsbit/domain';
import { authenticate, authorize, type Action, type Principal, type TokenLookup } from '@tsbit/service-kit';

/** Who may call a route: anyone, or a token whose role may do the action. */
export type Access = 'open' | Exclude<Action, 'report'>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Checked before the body is read, so a refused caller learns nothing about validation. */
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

const ROLES_OF: Record<Exclude<Access, 'open'>, string> = {
  read: 'any token',
  submit: 'a submitter or admin token',
  admin: 'an admin token',
};
const SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { basic: [] }];
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Authenticates and authorises every request by its route's `config.access`, and writes the same
 * rule into the route's OpenAPI entry. Must be installed before @fastify/swagger so that the
 * document sees the security requirements.
 */
export function installAccess(app: FastifyInstance, options: { lookup: TokenLookup; readNeedsToken: boolean }): void {
  const needsToken = (access: Access): access is Exclude<Access, 'open'> => access !== 'open' && (access !== 'read' || options.readNeedsToken);
  app.decorateRequest('principal', undefined);
  app.addHook('onRoute', (route) => {
    const access = route.config?.access ?? 'open';
    if (!route.schema || !needsToken(access)) return;
    const note = `Needs ${ROLES_OF[access]} (Bearer, or HTTP Basic with the token as password).`;
    route.schema = { ...route.schema, security: SECURITY, description: route.schema.description ? `${route.schema.description}\n\n${note}` : note };
  });
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access ?? 'open';
    if (access === 'open') return;
    request.principal = await authenticate(request.headers.authorization, options.lookup);
    authorize(request.principal, access, options.readNeedsToken);
  });
}

/** The actor a write is recorded under: the token's name. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url} writes but declares no access`);
  return { kind: 'user', name: request.principal.name };
}

const correlationIds = new WeakMap<FastifyRequest, string>();

/**
 * Metadata of every event a request appends: who caused it, one correlation id for all of them
 * (the caller's X-Request-Id when it sends a sane one), and the trace it belongs to.
 */
export function metadataOf(request: FastifyRequest, causedBy: Actor = actorOf(request)): JsonObject {
  let correlationId = correlationIds.get(request);
  if (!correlationId) {
    const header = request.headers['x-request-id'];
    correlationId = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
    correlationIds.set(request, correlationId);
  }
  const carrier: Record<string, string> = {};
  propagation.inject(otelContext.active(), carrier);
  return { causedBy, correlationId, ...(carrier.traceparent ? { traceparent: carrier.traceparent } : {}) };
}
