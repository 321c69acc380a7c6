import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '@tsbit/domain';
import { badRequest, notFound, unauthorized } from '@tsbit/service-kit';
import type { RouteContext } from '../app';
import { jobRequestFrom, submitJobs } from '../submission';

/** A repository whose pushes build, from TSBIT_HOOKS_FILE. */
export interface RepositoryHook {
  /** "owner/name" as the forge names it, or the clone URL. */
  repository: string;
  secret: string;
  package: string;
  suites: string[];
  arch?: string;
  format?: string;
  /** The Debian version the pushed commit is built as: `<baseVersion>+git<date>.<commit>`. */
  baseVersion?: string;
}

type Forge = 'github' | 'gitlab' | 'gitea';

interface Push {
  repository: string[];
  cloneUrl: string;
  ref: string;
  commit: string;
}

const sameSecret = (expected: string, presented: string): boolean => {
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
};
const hmacHex = (secret: string, body: string): string => createHmac('sha256', secret).update(body).digest('hex');

function verify(forge: Forge, hook: RepositoryHook, request: FastifyRequest, rawBody: string): void {
  const header = (name: string): string => String(request.headers[name] ?? '');
  const ok =
    forge === 'github'
      ? sameSecret(`sha256=${hmacHex(hook.secret, rawBody)}`, header('x-hub-signature-256'))
      : forge === 'gitea'
        ? sameSecret(hmacHex(hook.secret, rawBody), header('x-gitea-signature'))
        : sameSecret(hook.secret, header('x-gitlab-token'));
  if (!ok) throw unauthorized(`the ${forge} signature does not match this repository's secret`);
}

function pushOf(forge: Forge, body: Record<string, unknown>): Push {
  const repository = (body.repository ?? body.project ?? {}) as Record<string, unknown>;
  const names = [repository.full_name, repository.path_with_namespace, repository.clone_url, repository.git_http_url, repository.url].filter((name): name is string => typeof name === 'string');
  const cloneUrl = String(repository.clone_url ?? repository.git_http_url ?? repository.url ?? '');
  const ref = typeof body.ref === 'string' ? body.ref.replace(/^refs\/(heads|tags)\//, '') : '';
  const commit = String(body.after ?? body.checkout_sha ?? '');
  if (!cloneUrl || !ref || !/^[0-9a-f]{7,40}$/.test(commit)) throw badRequest(`not a ${forge} push event: repository, ref and after are required`, 'ref');
  return { repository: names, cloneUrl, ref, commit };
}

/**
 * VCS hooks: pyBit's /job/vcshook form, and push webhooks of GitHub, GitLab and Gitea, checked
 * against the repository's secret and built for the suites configured for it.
 */
export function hookRoutes(context: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const vcshook = async (request: FastifyRequest, reply: { status(code: number): { send(body: unknown): unknown } }) => {
      const by = context.writer(request, 'submit');
      const body = (request.body ?? {}) as Record<string, unknown>;
      const jobs = await submitJobs(context, [jobRequestFrom({ ...body, arch: body.architecture_list ?? body.arch ?? 'any' }, by)], by);
      return reply.status(201).send({ jobs });
    };
    app.post('/job/vcshook', { schema: { tags: ['hooks'], summary: "pyBit's VCS hook: uri, method, distribution, vcs_id, architecture_list, package_version, package, suite, format" } }, vcshook as never);
    app.put('/job/vcshook', { schema: { tags: ['hooks'], hide: true } }, vcshook as never);

    await app.register(async (scope) => {
      // Signatures are over the exact bytes sent, so the raw body is kept beside the parsed one.
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
        (request as FastifyRequest & { rawBody?: string }).rawBody = body as string;
        try {
          done(null, JSON.parse(body as string));
        } catch {
          done(badRequest('the body is not JSON'), undefined);
        }
      });
      for (const forge of ['github', 'gitlab', 'gitea'] as const) {
        scope.post(`/hooks/${forge}`, { schema: { tags: ['hooks'], summary: `A ${forge} push webhook` } }, async (request, reply) => {
          const body = (request.body ?? {}) as Record<string, unknown>;
          const event = String(request.headers['x-github-event'] ?? request.headers['x-gitea-event'] ?? request.headers['x-gitlab-event'] ?? 'push');
          if (!/push/i.test(event)) return reply.status(202).send({ ignored: event });
          const push = pushOf(forge, body);
          const hook = context.hooks.find((candidate) => push.repository.includes(candidate.repository));
          if (!hook) throw notFound(`no hook is configured for ${push.repository[0] ?? push.cloneUrl}`);
          verify(forge, hook, request, (request as FastifyRequest & { rawBody?: string }).rawBody ?? '');
          const date = context.clock().toISOString().slice(0, 10).replace(/-/g, '');
          const by: Actor = { kind: 'system', name: `${forge}-hook` };
          const jobs = await submitJobs(
            context,
            hook.suites.map((suite) =>
              jobRequestFrom(
                {
                  package: hook.package,
                  version: `${hook.baseVersion ?? '0'}+git${date}.${push.commit.slice(0, 12)}`,
                  suite,
                  arch: hook.arch ?? 'any',
                  format: hook.format ?? 'deb',
                  source: { method: 'git', url: push.cloneUrl, ref: push.commit },
                  project: hook.repository,
                },
                by,
              ),
            ),
            by,
          );
          return reply.status(201).send({ jobs });
        });
      }
    });
  };
}
