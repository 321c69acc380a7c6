import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Actor } from '@tsbit/domain';
import { unauthorized } from '@tsbit/service-kit';
import type { JobIntakeContext } from '../../context';
import { actorOf, metadataOf } from '../../http/access';
import { JobSummary, problems } from '../../http/schemas';
import { JobSubmission, jobRequestFrom } from '../../jobs/job-request';
import { submitJobs } from '../../jobs/submission';
import { withinSuite } from './architectures';
import { buildsRef, eventOf, forges, hookActorName, hooksFor, isPush, parseHookBody, pushJobs, pushOf, repositoryNamesOf, signedHooks, type Forge } from './forges';

const tags = ['hooks'];
const WEBHOOK_BODY_LIMIT_BYTES = 5 * 1024 * 1024;
const Jobs = Type.Object({ jobs: Type.Array(JobSummary) });
const HookJobs = Type.Object({
  jobs: Type.Array(JobSummary),
  skipped: Type.Optional(Type.Array(Type.String(), { description: 'architectures of architecture_list the suite does not build, left out' })),
});
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
          response: { 201: HookJobs, ...problems(400, 401, 403, 422) },
        },
        handler: async (request, reply) => {
          const by = actorOf(request);
          const asked = jobRequestFrom(request.body, by.name);
          const { arch, skipped } = withinSuite(await context.catalog.get(), asked.suite, asked.arch);
          const jobs = await submitJobs(context, [{ ...asked, arch }], { by, metadata: metadataOf(request, by) });
          return reply
            .status(201)
            .header('location', `/job/${jobs[0]?.id}`)
            .send({ jobs, ...(skipped.length > 0 ? { skipped } : {}) });
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
        description: `${
          forge === 'gitlab'
            ? 'Authenticated by X-Gitlab-Token, the secret of a hook configured for the repository.'
            : `Authenticated by ${forge === 'github' ? 'X-Hub-Signature-256' : 'X-Gitea-Signature'}, the HMAC-SHA256 of the body under the secret of a hook configured for the repository.`
        } Every hook of the repository whose secret it carries and whose branches include the ref builds; an unknown repository is answered as a wrong secret (401).`,
        response: { 201: Jobs, 202: Ignored, ...problems(400, 401, 413, 422) },
      },
    },
    async (request, reply) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const body = parseHookBody(rawBody, request.headers['content-type']);
      const names = repositoryNamesOf(body);
      const accepted = signedHooks(forge, hooksFor(context.hooks, names), request.headers, rawBody);
      // One answer for an unknown repository and a wrong signature, naming neither: an
      // unauthenticated caller must not learn which repositories are configured.
      if (accepted.length === 0) throw unauthorized(`the ${forge} signature does not match the secret of a hook configured for this repository`);

      const event = eventOf(forge, request.headers);
      if (!isPush(event)) return reply.status(202).send({ ignored: `${event || 'an unnamed'} event` });
      const push = pushOf(body);
      if (push.commit === '') return reply.status(202).send({ ignored: `${push.ref} was deleted` });
      const firing = accepted.filter((hook) => buildsRef(hook, push.ref));
      if (firing.length === 0) return reply.status(202).send({ ignored: `${push.ref} is not among the branches built` });

      const by: Actor = { kind: 'system', name: hookActorName(forge, push) };
      const receivedAt = context.clock();
      // Every entry's jobs in one atomic append: a push is built for all of them or for none.
      const jobs = await submitJobs(
        context,
        firing.flatMap((hook) => pushJobs(hook, push, receivedAt)),
        { by, metadata: metadataOf(request, by) },
      );
      return reply.status(201).header('location', `/job/${jobs[0]?.id}`).send({ jobs });
    },
  );
}
