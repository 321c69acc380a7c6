import Fastify, { type FastifyInstance } from 'fastify';
import proxy from '@fastify/http-proxy';

export interface GatewayRoutes {
  apiUrl: string;
  artifactUrl: string;
}

/**
 * The farm's one public address on a developer machine, standing in for the Kubernetes Ingress:
 * `/artifacts` goes to the artifact service, everything else to job-intake. Bodies are streamed
 * through untouched, so multi-gigabyte uploads never sit in memory.
 */
export async function createGateway(routes: GatewayRoutes): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(proxy, { upstream: routes.artifactUrl, prefix: '/artifacts', rewritePrefix: '/artifacts' });
  await app.register(proxy, { upstream: routes.apiUrl, prefix: '/' });
  return app;
}
