import { Type } from '@fastify/type-provider-typebox';
import { encodeListCursor, listFieldsOf, listQuerySchema, pageOfList, type ListOrder, type ListQuery } from './collection';

interface Builder {
  name: string;
  slots: number;
  state: 'idle' | 'lost';
  arches: string[];
}
const BuilderSchema = Type.Object({ name: Type.String(), slots: Type.Integer(), state: Type.Enum(['idle', 'lost']), arches: Type.Array(Type.String()), source: Type.Object({ url: Type.String() }) });
const order: ListOrder<Builder> = { fields: listFieldsOf(BuilderSchema), key: (builder) => [builder.name] };
const builder = (name: string, slots = 1, arches = ['amd64'], state: Builder['state'] = 'idle'): Builder => ({ name, slots, state, arches });

/** List tests read as given items / when a query / then the page (or the refusal). */
const given = (items: Builder[]) => ({
  when: (query: ListQuery) => {
    const run = () => pageOfList(items, query, order);
    return {
      then: (expected: { names: string[]; total?: number; more?: boolean }) => {
        const page = run();
        expect(page.items.map((item) => item.name)).toEqual(expected.names);
        if (expected.total !== undefined) expect(page.total).toBe(expected.total);
        if (expected.more !== undefined) expect(page.nextCursor !== null).toBe(expected.more);
      },
      thenRefuses: (field: string) => expect(run).toThrow(expect.objectContaining({ status: 400, field })),
    };
  },
});

/** Follows the cursors from the first page to the last; `between` may change the items. */
function pageThrough(items: Builder[], query: ListQuery, between: (items: Builder[], page: number) => Builder[] = (same) => same): string[][] {
  const pages: string[][] = [];
  let cursor: string | undefined;
  let current = items;
  do {
    const page = pageOfList(current, { ...query, ...(cursor ? { cursor } : {}) }, order);
    pages.push(page.items.map((item) => item.name));
    cursor = page.nextCursor ?? undefined;
    current = between(current, pages.length);
  } while (cursor);
  return pages;
}

const farm = [builder('b3', 2, ['arm64']), builder('b1', 4, ['amd64', 'i386']), builder('b2', 2, ['amd64'], 'lost'), builder('b4', 8, ['amd64'])];

describe('a list page', () => {
  it('answers every item in the order of the key when the query asks nothing', () => given(farm).when({}).then({ names: ['b1', 'b2', 'b3', 'b4'], total: 4, more: false }));

  it('filters by a scalar field by exact match', () => given(farm).when({ slots: 2 }).then({ names: ['b2', 'b3'], total: 2 }));

  it('filters by a list field when the list holds the value', () => given(farm).when({ arches: 'amd64', state: 'idle' }).then({ names: ['b1', 'b4'], total: 2 }));

  it('sorts by a field, ties in the order of the key, and descending reverses it all', () => {
    given(farm).when({ sort: 'slots' }).then({ names: ['b2', 'b3', 'b1', 'b4'] });
    given(farm).when({ sort: '-slots' }).then({ names: ['b4', 'b1', 'b3', 'b2'] });
  });

  it('collates names, so case does not split the alphabet', () => given([builder('beta'), builder('Alpha'), builder('alpha')]).when({ sort: 'name' }).then({ names: ['alpha', 'Alpha', 'beta'] }));

  it('gives the filtered total on every page, and a cursor while more follow', () => given(farm).when({ arches: 'amd64', limit: 2 }).then({ names: ['b1', 'b2'], total: 3, more: true }));

  it('pages through every item once, in order, whatever the sort', () => {
    expect(pageThrough(farm, { limit: 3 })).toEqual([['b1', 'b2', 'b3'], ['b4']]);
    expect(pageThrough(farm, { limit: 1, sort: '-slots' })).toEqual([['b4'], ['b1'], ['b3'], ['b2']]);
    expect(pageThrough(farm, { limit: 2, sort: 'slots', arches: 'amd64' })).toEqual([['b2', 'b1'], ['b4']]);
  });

  it('neither repeats nor loses an item when others are added before the cursor or the last one is removed', () => {
    const addEarlyRemoveLast = (items: Builder[], page: number) => (page === 1 ? [builder('a0'), ...items.filter((item) => item.name !== 'b2')] : items);
    expect(pageThrough(farm, { limit: 2 }, addEarlyRemoveLast)).toEqual([['b1', 'b2'], ['b3', 'b4']]);
  });

  it('answers an empty page for a cursor past every item', () => given(farm).when({ cursor: encodeListCursor('', ['b9']) }).then({ names: [], total: 4, more: false }));

  it('refuses a sort by a field it does not sort by, naming sort', () => {
    given(farm).when({ sort: 'colour' }).thenRefuses('sort');
    given(farm).when({ sort: '-arches' }).thenRefuses('sort');
  });

  it('refuses a cursor it did not hand out, or one handed out for another sort, naming cursor', () => {
    given(farm).when({ cursor: '!!' }).thenRefuses('cursor');
    given(farm).when({ cursor: Buffer.from('{"after":{}}').toString('base64url') }).thenRefuses('cursor');
    given(farm).when({ sort: '-slots', cursor: encodeListCursor('slots', [2, 'b2']) }).thenRefuses('cursor');
  });

  it('refuses a filter on a field it does not filter by, and a limit out of range, naming them', () => {
    given(farm).when({ source: 'x' }).thenRefuses('source');
    given(farm).when({ limit: 0 }).thenRefuses('limit');
    given(farm).when({ limit: 1001 }).thenRefuses('limit');
  });
});

describe('the fields of a list', () => {
  it('filters and sorts by scalar fields, filters by lists of scalars, and leaves objects out', () =>
    expect(listFieldsOf(BuilderSchema)).toEqual({ filterable: ['name', 'slots', 'state', 'arches'], sortable: ['name', 'slots', 'state'] }));

  it('declares them in the querystring, with sort as an enum and nothing else taken', () => {
    const schema = listQuerySchema(BuilderSchema) as unknown as { properties: Record<string, Record<string, unknown>>; additionalProperties: boolean };
    expect(Object.keys(schema.properties)).toEqual(['name', 'slots', 'state', 'arches', 'sort', 'limit', 'cursor']);
    expect(schema.properties.sort?.enum).toEqual(['name', '-name', 'slots', '-slots', 'state', '-state']);
    expect(schema.properties.slots?.type).toBe('integer');
    expect(schema.properties.state?.enum).toEqual(['idle', 'lost']);
    expect(schema.properties.limit).toMatchObject({ minimum: 1, maximum: 1000 });
    expect(schema.additionalProperties).toBe(false);
  });
});
