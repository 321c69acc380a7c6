import type { FastifyInstance } from 'fastify';

const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * pyBit answered every origin, and pages on other hosts read the farm's state, so every response
 * (errors and 404s included: onSend sees them all) allows any origin. Credentials travel in the
 * Authorization header, never in cookies, so a wildcard origin gives a foreign page nothing a
 * script could not send anyway. A 401 offers HTTP Basic, so pyBit's HTML forms work in a browser.
 */
export function installCors(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('access-control-allow-origin', '*');
    void reply.header('access-control-expose-headers', 'location, link');
    if (reply.statusCode === 401) void reply.header('www-authenticate', 'Basic realm="tsbit", charset="UTF-8"');
    return payload;
  });
  app.options('/*', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .status(204)
      .header('access-control-allow-methods', 'GET, HEAD, POST, PUT, DELETE, OPTIONS')
      .header('access-control-allow-headers', 'authorization, content-type, x-request-id')
      .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS))
      .send(),
  );
}
