import { Type, type TSchema } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '@tsbit/service-kit';
import { Count, PageParams, problems } from './schemas';

/** pyBit's page size for `/<r>/page/<n>`. */
export const PAGE_SIZE = 50;

interface Resource {
  /** Path segment: `arch` serves `/arch`, `/arch/`, `/arch/page/:n`, ... */
  resource: string;
  tag: string;
  /** How the summaries call one item. */
  noun: string;
  /** The `:id` parameter (a name, or a number for blacklist rules). */
  id: TSchema;
}

const paramsOf = (id: TSchema) => Type.Object({ id }, { additionalProperties: false });

/**
 * pyBit's read routes of a small collection: `GET /<r>` (and `/<r>/`), `/<r>/page/:n`,
 * `/<r>/count` (the total and the number of pages; pyBit gave only the latter) and `/<r>/:id`.
 */
export function collectionRoutes<T>(app: FastifyInstance, options: Resource & { item: TSchema; items(): Promise<T[]>; find(items: T[], id: string | number): T | undefined }): void {
  const { resource, tag, noun } = options;
  const list = { tags: [tag], response: { 200: Type.Array(options.item), ...problems(401, 403) } };
  const config = { access: 'read' as const };
  for (const url of [`/${resource}`, `/${resource}/`]) {
    app.get(url, { config, schema: { ...list, summary: `Every ${noun}`, hide: url.endsWith('/') } }, () => options.items());
  }
  app.get(`/${resource}/page/:n`, { config, schema: { ...list, summary: `A page of ${PAGE_SIZE} ${noun}s`, params: PageParams } }, async (request) => {
    const { n } = request.params as { n: number };
    return (await options.items()).slice((n - 1) * PAGE_SIZE, n * PAGE_SIZE);
  });
  app.get(`/${resource}/count`, { config, schema: { tags: [tag], summary: `How many ${noun}s, and pages of ${PAGE_SIZE}`, response: { 200: Count, ...problems(401, 403) } } }, async () => {
    const total = (await options.items()).length;
    return { total, pages: Math.ceil(total / PAGE_SIZE), pageSize: PAGE_SIZE };
  });
  app.get(`/${resource}/:id`, { config, schema: { tags: [tag], summary: `One ${noun}`, params: paramsOf(options.id), response: { 200: options.item, ...problems(400, 401, 403, 404) } } }, async (request) => {
    const { id } = request.params as { id: string | number };
    const found = options.find(await options.items(), id);
    if (found === undefined) throw notFound(`no ${resource} "${id}"`);
    return found;
  });
}

/**
 * Create (admin): `POST` and `PUT` on `/<r>` and `/<r>/`, JSON or pyBit's form fields. The handler
 * answers the status (201 created, 200 redefined) and the item; `Location` points at it.
 */
export function createRoutes<B>(
  app: FastifyInstance,
  options: Resource & { item: TSchema; body: TSchema; summary: string; create(request: FastifyRequest, body: B): Promise<{ status: 200 | 201; id: string | number; item: unknown }> },
): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const { status, id, item } = await options.create(request, request.body as B);
    return reply.status(status).header('location', `/${options.resource}/${encodeURIComponent(String(id))}`).send(item);
  };
  const schema = {
    tags: [options.tag],
    summary: options.summary,
    body: options.body,
    consumes: ['application/json', 'application/x-www-form-urlencoded'],
    response: { 200: options.item, 201: options.item, ...problems(400, 401, 403, 409, 422) },
  };
  for (const url of [`/${options.resource}`, `/${options.resource}/`]) {
    app.post(url, { config: { access: 'admin' }, schema: { ...schema, hide: url.endsWith('/') } }, handler);
    app.put(url, { config: { access: 'admin' }, schema: { ...schema, hide: url.endsWith('/') } }, handler);
  }
}

/**
 * Delete (admin): `DELETE /<r>/:id`, and `GET` or `POST /<r>/:id/delete` for HTML forms as pyBit
 * had them. 200 when removed, 404 when absent, 409 while something still refers to it.
 */
export function removalRoutes(app: FastifyInstance, options: Resource & { remove(request: FastifyRequest, id: string | number): Promise<void> }): void {
  const schema = (summary: string) => ({
    tags: [options.tag],
    summary,
    params: paramsOf(options.id),
    response: { 200: Type.Object({ deleted: Type.Union([Type.String(), Type.Integer()]) }), ...problems(400, 401, 403, 404, 409) },
  });
  const handler = async (request: FastifyRequest) => {
    const { id } = request.params as { id: string | number };
    await options.remove(request, id);
    return { deleted: id };
  };
  const config = { access: 'admin' as const };
  app.delete(`/${options.resource}/:id`, { config, schema: schema(`Remove a ${options.noun}`) }, handler);
  app.get(`/${options.resource}/:id/delete`, { config, schema: schema(`Remove a ${options.noun} (pyBit's route for HTML links)`) }, handler);
  app.post(`/${options.resource}/:id/delete`, { config, schema: schema(`Remove a ${options.noun} (HTML forms)`) }, handler);
}
