import { Type, type TObject, type TSchema } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '@tsbit/service-kit';
import { Count, PageParams, problems } from './schemas';

/** pyBit's page size for `/<r>/page/<n>`. */
export const PAGE_SIZE = 50;
/** The largest `limit` of a list. Without `limit` a list answers every item, as pyBit's clients expect. */
export const MAX_LIST_LIMIT = 1000;
/** Filter values are names and numbers; names are at most 128 characters. */
const MAX_FILTER_LENGTH = 256;
/** A cursor carries a sort value and an item's key (up to seven names, for a package instance). */
const MAX_CURSOR_LENGTH = 4096;
/** Query parameters of every list; an item field of the same name could not be a filter. */
const LIST_PARAMETERS: readonly string[] = ['sort', 'limit', 'cursor'];

export type Scalar = string | number | boolean | null;

/** Which item fields a list's query may name. */
export interface ListFields {
  /** `?field=value`: the items whose field is the value, or whose list field holds it. */
  filterable: readonly string[];
  /** `?sort=field` or `?sort=-field`. */
  sortable: readonly string[];
}

export interface ListOrder<T> {
  fields: ListFields;
  /**
   * Unique per item and never changing while it exists: the default order, the tie-break of every
   * other order, and what a cursor remembers, so a page boundary survives items added before it.
   */
  key(item: T): Scalar[];
}

/** A list's query as Fastify hands it over, validated against `listQuerySchema`. */
export interface ListQuery {
  sort?: string;
  limit?: number;
  cursor?: string;
  [filter: string]: unknown;
}

/** A list query checked and decoded; what `pageOf` needs besides the items. */
export interface ListRequest {
  filters: [field: string, value: unknown][];
  /** The `sort` parameter as asked, `''` for the default order: cursors are bound to it. */
  sort: string;
  sortField: string | null;
  descending: boolean;
  limit: number | undefined;
  /** The position of the previous page's last item. */
  after: Scalar[] | undefined;
}

export interface ListPage<T> {
  items: T[];
  /** How many items pass the filters, whatever the page. */
  total: number;
  nextCursor: string | null;
}

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  items?: JsonSchema;
}

const SCALAR_TYPES: ReadonlySet<string> = new Set(['string', 'integer', 'number', 'boolean']);
const isScalarSchema = (schema: JsonSchema | undefined): boolean => schema !== undefined && (SCALAR_TYPES.has(schema.type ?? '') || Array.isArray(schema.enum));
const isScalarListSchema = (schema: JsonSchema): boolean => schema.type === 'array' && isScalarSchema(schema.items);
const isScalar = (value: unknown): value is Scalar => value === null || ['string', 'number', 'boolean'].includes(typeof value);

/** Scalar fields filter and sort; lists of scalars (a suite's formats, a builder's arches) filter only. */
export function listFieldsOf(item: TObject): ListFields {
  const properties = Object.entries(item.properties as Record<string, JsonSchema>).filter(([name]) => !LIST_PARAMETERS.includes(name));
  return {
    filterable: properties.filter(([, schema]) => isScalarSchema(schema) || isScalarListSchema(schema)).map(([name]) => name),
    sortable: properties.filter(([, schema]) => isScalarSchema(schema)).map(([name]) => name),
  };
}

function filterSchemaOf(property: JsonSchema): TSchema {
  const scalar = isScalarListSchema(property) ? (property.items as JsonSchema) : property;
  const description = isScalarListSchema(property) ? 'items whose list holds this value' : 'items with exactly this value';
  if (Array.isArray(scalar.enum)) return Type.Unsafe({ enum: scalar.enum, description });
  if (scalar.type === 'integer') return Type.Integer({ description });
  if (scalar.type === 'number') return Type.Number({ description });
  if (scalar.type === 'boolean') return Type.Boolean({ description });
  return Type.String({ maxLength: MAX_FILTER_LENGTH, description });
}

/**
 * The querystring of a list, for validation and the OpenAPI document: a filter per field, `sort`
 * as an enum (an unknown field is a 400 naming `sort`), `limit` and `cursor`. Unknown parameters
 * are refused rather than ignored: a misspelt filter would otherwise answer everything.
 */
export function listQuerySchema(item: TObject, fields: ListFields = listFieldsOf(item)): TObject {
  const properties = item.properties as Record<string, JsonSchema>;
  const filters = Object.fromEntries(fields.filterable.map((field) => [field, Type.Optional(filterSchemaOf(properties[field] as JsonSchema))]));
  return Type.Object(
    {
      ...filters,
      sort: Type.Optional(Type.Enum(fields.sortable.flatMap((field) => [field, `-${field}`]), { description: 'a field, ascending; "-field" descending. The default order is by the key' })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, description: 'page size; every item unless told' })),
      cursor: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_CURSOR_LENGTH, description: 'from the Link header of the previous page, with the same sort' })),
    },
    { additionalProperties: false },
  );
}

// A fixed locale, not the process's: the order, and so every cursor, is the same on every replica.
const collator = new Intl.Collator('en');

/** A total order: strings collate, and strings the collator finds equal fall back to code units. */
function compareScalars(a: Scalar, b: Scalar): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'string' && typeof b === 'string') return collator.compare(a, b) || (a < b ? -1 : 1);
  if (typeof a === typeof b) return a < b ? -1 : 1;
  return typeof a < typeof b ? -1 : 1;
}

function comparePositions(a: readonly Scalar[], b: readonly Scalar[]): number {
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    const order = compareScalars(a[index] as Scalar, b[index] as Scalar);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

export const encodeListCursor = (sort: string, after: readonly Scalar[]): string => Buffer.from(JSON.stringify({ sort, after })).toString('base64url');

function decodeListCursor(cursor: string, sort: string): Scalar[] {
  let content: { sort?: unknown; after?: unknown } | undefined;
  try {
    content = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    content = undefined;
  }
  if (typeof content !== 'object' || content === null || typeof content.sort !== 'string' || !Array.isArray(content.after) || !content.after.every(isScalar)) {
    throw badRequest('cursor: not a cursor this list handed out', 'cursor');
  }
  if (content.sort !== sort) throw badRequest(`cursor: handed out for ${content.sort ? `sort=${content.sort}` : 'the default order'}; keep the sort while paging`, 'cursor');
  return content.after;
}

/** Checks a list query against the list's fields and decodes its cursor; 400 naming the parameter. */
export function readListQuery(query: ListQuery, fields: ListFields): ListRequest {
  const { sort = '', limit, cursor, ...rest } = query;
  const filters = Object.entries(rest).filter(([, value]) => value !== undefined);
  for (const [field] of filters) if (!fields.filterable.includes(field)) throw badRequest(`${field}: not a field this list filters by (${fields.filterable.join(', ')})`, field);
  const sortField = sort.replace(/^-/, '') || null;
  if (sortField !== null && !fields.sortable.includes(sortField)) throw badRequest(`sort: "${sort}" is not a field this list sorts by (${fields.sortable.join(', ')})`, 'sort');
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT)) throw badRequest(`limit: must be an integer from 1 to ${MAX_LIST_LIMIT}`, 'limit');
  return { filters, sort, sortField, descending: sort.startsWith('-'), limit, after: cursor === undefined ? undefined : decodeListCursor(cursor, sort) };
}

const fieldOf = (item: object, field: string): unknown => (item as Record<string, unknown>)[field];

/**
 * One page of a list: the items that pass the filters, in the asked order (ties broken by the key),
 * after the cursor's position. The next cursor is the last item's position, not an offset, so an
 * item added or removed meanwhile neither repeats nor hides another.
 */
export function pageOf<T extends object>(items: readonly T[], request: ListRequest, key: (item: T) => Scalar[]): ListPage<T> {
  const { filters, sortField, descending, limit, after } = request;
  const passes = (item: T) =>
    filters.every(([field, wanted]) => {
      const value = fieldOf(item, field);
      return Array.isArray(value) ? value.includes(wanted) : value === wanted;
    });
  const positionOf = (item: T): Scalar[] => (sortField === null ? key(item) : [(fieldOf(item, sortField) ?? null) as Scalar, ...key(item)]);
  const direction = descending ? -1 : 1;
  const ordered = items
    .filter(passes)
    .map((item) => ({ item, position: positionOf(item) }))
    .sort((a, b) => direction * comparePositions(a.position, b.position));
  const start = after === undefined ? 0 : ordered.findIndex((entry) => direction * comparePositions(entry.position, after) > 0);
  const rest = start < 0 ? [] : ordered.slice(start);
  const page = limit === undefined ? rest : rest.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map((entry) => entry.item), total: ordered.length, nextCursor: page.length < rest.length && last ? encodeListCursor(request.sort, last.position) : null };
}

/** `readListQuery` then `pageOf`: one page of `items` for a query. */
export function pageOfList<T extends object>(items: readonly T[], query: ListQuery, order: ListOrder<T>): ListPage<T> {
  return pageOf(items, readListQuery(query, order.fields), order.key);
}

/** `Link: <same query, next cursor>; rel="next"`, as RFC 8288 pages. */
export function nextLink(request: FastifyRequest, cursor: string): string {
  const [path, query = ''] = request.url.split('?');
  const params = new URLSearchParams(query);
  params.set('cursor', cursor);
  return `<${path}?${params.toString()}>; rel="next"`;
}

const LIST_HEADERS = {
  'x-total-count': { type: 'integer', description: 'items that pass the filters, on every page' },
  link: { type: 'string', description: '`<url>; rel="next"` while there is a next page' },
};

export interface ListOptions<T> {
  /** Path segment: `arch` serves `/arch` and `/arch/`. */
  resource: string;
  tag: string;
  summary: string;
  item: TObject;
  key(item: T): Scalar[];
  /** Every item, or any superset of those that pass the query's filters (a store may filter first). */
  items(query: ListQuery): Promise<T[]>;
}

/**
 * `GET /<r>` (and `/<r>/`): a JSON array, as pyBit's clients read it, filtered, sorted and paged
 * by the query; the next page in `Link`, the filtered total in `X-Total-Count`.
 */
export function listRoutes<T extends object>(app: FastifyInstance, options: ListOptions<T>): void {
  const fields = listFieldsOf(options.item);
  const schema = {
    tags: [options.tag],
    summary: options.summary,
    description: `Filter by ${fields.filterable.join(', ')}; sort by ${fields.sortable.join(', ')}; without \`limit\`, every item.`,
    querystring: listQuerySchema(options.item, fields),
    response: { 200: Type.Array(options.item, { headers: LIST_HEADERS }), ...problems(400, 401, 403) },
  };
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const query = request.query as ListQuery;
    // Checked before the items are read: some lists are expensive to gather.
    const listRequest = readListQuery(query, fields);
    const page = pageOf(await options.items(query), listRequest, options.key);
    void reply.header('x-total-count', String(page.total));
    if (page.nextCursor) void reply.header('link', nextLink(request, page.nextCursor));
    return page.items;
  };
  for (const url of [`/${options.resource}`, `/${options.resource}/`]) {
    app.get(url, { config: { access: 'read' }, schema: { ...schema, hide: url.endsWith('/') } }, handler);
  }
}

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
const FORMS = ['application/json', 'application/x-www-form-urlencoded'];
const locationOf = (resource: string, id: string | number): string => `/${resource}/${encodeURIComponent(String(id))}`;

/**
 * pyBit's read routes of a small collection: `GET /<r>` (and `/<r>/`, see `listRoutes`),
 * `/<r>/page/:n`, `/<r>/count` (the total and the number of pages; pyBit gave only the latter)
 * and `/<r>/:id`.
 */
export function collectionRoutes<T extends object>(
  app: FastifyInstance,
  options: Resource & { item: TObject; key(item: T): Scalar[]; items(): Promise<T[]>; find(items: T[], id: string | number): T | undefined },
): void {
  const { resource, tag, noun } = options;
  const config = { access: 'read' as const };
  listRoutes(app, { resource, tag, summary: `Every ${noun}: filter, sort, page with a cursor (Link: rel="next")`, item: options.item, key: options.key, items: () => options.items() });
  app.get(`/${resource}/page/:n`, { config, schema: { tags: [tag], summary: `A page of ${PAGE_SIZE} ${noun}s`, params: PageParams, response: { 200: Type.Array(options.item), ...problems(400, 401, 403) } } }, async (request) => {
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
    return reply.status(status).header('location', locationOf(options.resource, id)).send(item);
  };
  const schema = {
    tags: [options.tag],
    summary: options.summary,
    body: options.body,
    consumes: FORMS,
    response: { 200: options.item, 201: options.item, ...problems(400, 401, 403, 409, 422) },
  };
  for (const url of [`/${options.resource}`, `/${options.resource}/`]) {
    app.post(url, { config: { access: 'admin' }, schema: { ...schema, hide: url.endsWith('/') } }, handler);
    app.put(url, { config: { access: 'admin' }, schema: { ...schema, hide: url.endsWith('/') } }, handler);
  }
}

/**
 * Create or replace (admin): `PUT /<r>/:id`, as RFC 9110 has PUT, the body as for create with
 * the id taken from the path. The handler answers 201 when it created the item, 200 when it
 * replaced it (or it was so already); `Location` points at it.
 */
export function replaceRoutes<B>(
  app: FastifyInstance,
  options: Resource & { item: TSchema; body: TSchema; summary: string; description?: string; replace(request: FastifyRequest, id: string | number, body: B): Promise<{ status: 200 | 201; item: unknown }> },
): void {
  app.put(
    `/${options.resource}/:id`,
    {
      config: { access: 'admin' },
      schema: {
        tags: [options.tag],
        summary: options.summary,
        ...(options.description === undefined ? {} : { description: options.description }),
        params: paramsOf(options.id),
        body: options.body,
        consumes: FORMS,
        response: { 200: options.item, 201: options.item, ...problems(400, 401, 403, 404, 409, 422) },
      },
      // `curl -X PUT /arch/riscv64` sends no body: read it as `{}`, so a field it needs is named in the 400.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string | number };
      const { status, item } = await options.replace(request, id, request.body as B);
      return reply.status(status).header('location', locationOf(options.resource, id)).send(item);
    },
  );
}

/** The id in a PUT's path names the item; a body that names another is a mistake, not a rename. */
export function idFromPath(pathId: string, bodyId: string | undefined, field: string): string {
  const named = bodyId?.trim();
  if (named && named !== pathId) throw badRequest(`${field}: "${named}" differs from the path's "${pathId}"; an item is not renamed`, field);
  return pathId;
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
