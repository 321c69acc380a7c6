import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Actor } from '@tsbit/domain';
import { notFound, unauthorized } from '@tsbit/service-kit';
import type { JobIntakeContext } from '../../context';
import { actorOf, metadataOf } from '../../http/access';
import { JobSummary, problems } from '../../http/schemas';
import { JobSubmission, jobRequestFrom } from '../../jobs/job-request';
import { submitJobs } from '../../jobs/submission';
import { eventOf, forges, hookFor, isPush, parseHookBody, pushOf, pushVersion, verifySignature, type Forge } from './forges';

const tags = ['hooks'];
const WEBHOOK_BODY_LIMIT_BYTES = 5 * 1024 * 1024;
const Jobs = Type.Object({ jobs: Type.Array(JobSummary) });
const Ignored = Type.Object({ ignored: Type.String({ description: 'why nothing was built' }) });

/**
 * VCS hooks: pyBit's `/job/vcshook` form (svn, git and .changes hooks post it with a submitter
 * token), and push webhooks of GitHub, GitLab and Gitea, which carry no token: they prove
 * themselves with the repository's secret from TSBIT_HOOKS_FILE.
 */
export function hookRoutes(context: JobIntakeContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const method of ['POST', 'PUT'] as const) {
      app.route({
        method,
        url: '/job/vcshook',
        config: { access: 'submit' },
        schema: {
          tags,
          summary: "pyBit's VCS hook: a commit to build, one job per architecture",
          description: 'Form fields uri, method (svn, git, apt), distribution, vcs_id, architecture_list, package_version, package, suite, format.',
          consumes: ['application/x-www-form-urlencoded', 'application/json'],
          body: JobSubmission,
          response: { 201: Jobs, ...problems(400, 401, 403, 422) },
        },
        handler: async (request, reply) => {
          const by = actorOf(request);
          const jobs = await submitJobs(context, [jobRequestFrom(request.body, by.name)], { by, metadata: metadataOf(request, by) });
          return reply.status(201).header('location', `/job/${jobs[0]?.id}`).send({ jobs });
        },
      });
    }

    await app.register(async (scope: FastifyInstance) => {
      // Signatures are over the exact bytes sent: these routes get the raw body and parse it themselves.
      scope.removeContentTypeParser(['application/json', 'application/x-www-form-urlencoded']);
      scope.addContentTypeParser(['application/json', 'application/x-www-form-urlencoded'], { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
      for (const forge of forges) webhook(scope, context, forge);
    });
  };
}

function webhook(app: FastifyInstance, context: JobIntakeContext, forge: Forge): void {
  app.post(
    `/hooks/${forge}`,
    {
      config: { access: 'open' },
      schema: {
        tags,
        summary: `A ${forge} push webhook: builds the pushed commit for the repository's configured suites`,
        description:
          forge === 'gitlab'
            ? 'Authenticated by X-Gitlab-Token, the secret configured for the repository.'
            : `Authenticated by ${forge === 'github' ? 'X-Hub-Signature-256' : 'X-Gitea-Signature'}, the HMAC-SHA256 of the body under the repository's secret.`,
        response: { 201: Jobs, 202: Ignored, ...problems(400, 401, 404, 422) },
      },
    },
    async (request, reply) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const push = pushOf(parseHookBody(rawBody, request.headers['content-type']));
      const hook = hookFor(context.hooks, push);
      if (!hook) throw notFound(`no hook is configured for ${push.names[0]}`);
      if (!verifySignature(forge, hook.secret, request.headers, rawBody)) throw unauthorized(`the ${forge} signature does not match the secret configured for ${hook.repository}`);
      const event = eventOf(forge, request.headers);
      if (!isPush(event)) return reply.status(202).send({ ignored: `${event || 'an unnamed'} event` });
      if (push.commit === '') return reply.status(202).send({ ignored: `${push.ref} was deleted` });
      if (hook.branches && !hook.branches.includes(push.ref)) return reply.status(202).send({ ignored: `${push.ref} is not among the branches built` });

      const by: Actor = { kind: 'system', name: `${forge}-hook` };
      const version = pushVersion(hook.baseVersion ?? '0', push.commit, push.committedAt ?? context.clock());
      const jobs = await submitJobs(
        context,
        hook.suites.map((suite) => ({
          package: hook.package,
          version,
          suite,
          dist: hook.dist ?? '',
          arch: hook.arch ?? 'any',
          format: hook.format ?? 'deb',
          env: hook.env ?? '',
          source: { method: 'git' as const, url: hook.url ?? push.cloneUrl, ref: push.commit },
          priority: 0,
          project: hook.project ?? hook.repository,
          dependsOn: [],
          dependsOnPackages: [],
        })),
        { by, metadata: metadataOf(request, by) },
      );
      return reply.status(201).header('location', `/job/${jobs[0]?.id}`).send({ jobs });
    },
  );
}
