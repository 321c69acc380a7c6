import Fastify, { type FastifyInstance } from 'fastify';
import proxy from '@fastify/http-proxy';

export interface GatewayRoutes {
  apiUrl: string;
  artifactUrl: string;
}

/**
 * The farm's one public address on a developer machine, standing in for the Kubernetes Ingress:
 * `/artifacts`, `/logs` and `/repos` go to the artifact service, everything else to job-intake. Bodies are streamed
 * through untouched, so multi-gigabyte uploads never sit in memory.
 */
export async function createGateway(routes: GatewayRoutes): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(proxy, { upstream: routes.artifactUrl, prefix: '/artifacts', rewritePrefix: '/artifacts' });
  // Live build logs: appended by builders, read and followed (server-sent events) by anyone.
  await app.register(proxy, { upstream: routes.artifactUrl, prefix: '/logs', rewritePrefix: '/logs' });
  // The signed APT and YUM repositories and the key that signs them, for apt, dnf and sbuild.
  await app.register(proxy, { upstream: routes.artifactUrl, prefix: '/repos', rewritePrefix: '/repos' });
  await app.register(proxy, { upstream: routes.apiUrl, prefix: '/' });
  return app;
}
