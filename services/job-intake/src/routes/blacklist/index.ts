import { Type, type Static } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { BlacklistRuleAdded } from '@tsbit/domain';
import type { JobIntakeContext } from '../../context';
import { collectionRoutes, createRoutes, removalRoutes, replaceRoutes } from '../../http/collection';
import { changeCatalog } from '../catalog';

const Rule = Type.Object({ ruleId: Type.Integer(), field: Type.Enum(['name', 'vcs_uri']), regex: Type.String() });
const NewRule = Type.Object(
  {
    field: Type.Enum(['name', 'vcs_uri'], { description: 'name: the source package name; vcs_uri: the source URL' }),
    regex: Type.String({ minLength: 1, maxLength: 512, description: 'a JavaScript regular expression; a submission whose field matches is refused' }),
  },
  { additionalProperties: false },
);
type NewRule = Static<typeof NewRule>;

/**
 * pyBit's blacklist: rules (`field` + `regex`) that refuse matching submissions with 422. Rules
 * live in the catalogue stream and are numbered by it; `PUT /blacklist/:id` changes a rule in
 * place, keeping its number (a rule is not created by PUT: the catalogue hands out the numbers).
 */
export function blacklistRoutes(context: JobIntakeContext): FastifyPluginAsync {
  return async (app) => {
    const resource = { resource: 'blacklist', tag: 'blacklist', noun: 'blacklist rule', id: Type.Integer({ minimum: 1, description: 'rule id' }) };
    collectionRoutes(app, {
      ...resource,
      item: Rule,
      key: (rule) => [rule.ruleId],
      items: async () => Object.values((await context.catalog.get()).blacklist).sort((a, b) => a.ruleId - b.ruleId),
      find: (rules, id) => rules.find((rule) => rule.ruleId === id),
    });
    createRoutes<NewRule>(app, {
      ...resource,
      item: Rule,
      body: NewRule,
      summary: 'Add a rule: submissions whose field matches the regular expression are refused',
      async create(request, body) {
        const [added] = (await changeCatalog(context, request, (at, by) => ({ type: 'AddBlacklistRule', field: body.field, regex: body.regex, at, by }))) as BlacklistRuleAdded[];
        const rule = { ruleId: added?.data.ruleId ?? 0, field: body.field, regex: body.regex };
        return { status: 201, id: rule.ruleId, item: rule };
      },
    });
    replaceRoutes<NewRule>(app, {
      ...resource,
      item: Rule,
      body: NewRule,
      summary: 'Change a rule in place, keeping its number (404 for a rule that does not exist)',
      async replace(request, id, body) {
        await changeCatalog(context, request, (at, by) => ({ type: 'ReplaceBlacklistRule', ruleId: Number(id), field: body.field, regex: body.regex, at, by }));
        return { status: 200, item: { ruleId: Number(id), field: body.field, regex: body.regex } };
      },
    });
    removalRoutes(app, {
      ...resource,
      remove: async (request, id) => void (await changeCatalog(context, request, (at, by) => ({ type: 'RemoveBlacklistRule', ruleId: Number(id), at, by }))),
    });
  };
}
