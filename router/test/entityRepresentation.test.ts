import type { QueryPlanSelectionNode } from '@apollo/query-planner';
import { buildSchema } from 'graphql';
import { flatRequiresOf, representationOf, representationText } from '../src/execution/entityRepresentation';

const schema = buildSchema(`
  interface Media { id: ID! }
  type Book implements Media { id: ID! isbn: String }
  type Movie implements Media { id: ID! }
  type User { id: ID! name: String meta: String }
  type Query { media: [Media] user: User }
`);

const field = (name: string, extra: Partial<{ alias: string; sentAs: string; selections: QueryPlanSelectionNode[] }> = {}): QueryPlanSelectionNode =>
  ({ kind: 'Field', name, ...extra }) as QueryPlanSelectionNode;
const on = (typeCondition: string | undefined, selections: QueryPlanSelectionNode[]): QueryPlanSelectionNode =>
  ({ kind: 'InlineFragment', ...(typeCondition ? { typeCondition } : {}), selections }) as QueryPlanSelectionNode;

/** What the executor sent before the direct writer: the object, then its JSON, and nothing without a `__typename`. */
function expected(source: Record<string, unknown>, requires: QueryPlanSelectionNode[]): string | null {
  const representation = representationOf(schema, source, requires);
  return representation && representation.__typename ? JSON.stringify(representation) : null;
}

const USER_KEY = [on('User', [field('__typename'), field('id')])];
const FLAT_CASES: [string, QueryPlanSelectionNode[]][] = [
  ['the planner\'s "... on T { __typename id }"', USER_KEY],
  ['top-level leaves', [field('__typename'), field('id')]],
  ['a field, a fragment, a field (order kept)', [field('__typename'), on('User', [field('name')]), field('id')]],
  ['a fragment without a type condition', [on(undefined, [field('__typename'), field('id')])]],
  ['a fragment on an interface', [on('Media', [field('__typename'), field('id')])]],
  ["Hive's renamed required field (sentAs)", [on('User', [field('__typename'), field('id'), field('meta', { alias: '_internal_qp_alias_0', sentAs: 'meta' })])]],
  ['a key that is an inherited name', [on('User', [field('__typename'), field('__proto__'), field('constructor')])]],
];

const SOURCES: Record<string, unknown>[] = [
  { __typename: 'User', id: 'u1', name: 'Ada' },
  { __typename: 'User', id: 'quote " and \\ and \u2028 and é', name: null },
  { __typename: 'User', id: 42, name: { nested: ['json', 1, null] } },
  { __typename: 'User', name: 'no id' },
  { __typename: 'Book', id: 'b1', isbn: '978' },
  { __typename: '', id: 'empty typename' },
  { id: 'no typename' },
  { __typename: 'User', id: 'u2', _internal_qp_alias_0: 'aliased', meta: 'not this one' },
  JSON.parse('{"__typename":"User","__proto__":"own","constructor":"also own"}') as Record<string, unknown>,
];

describe('entity representations written straight to JSON', () => {
  it.each(FLAT_CASES)('writes what the object path serialises, for every entity: %s', (_name, requires) => {
    const flat = flatRequiresOf(requires);
    expect(flat).not.toBeNull();
    for (const source of SOURCES) expect(representationText(schema, source, flat!)).toBe(expected(source, requires));
  });

  it('leaves to the object path what it cannot write straight: nested selections, a key in two fragments', () => {
    expect(flatRequiresOf([on('User', [field('__typename'), field('address', { selections: [field('city')] })])])).toBeNull();
    expect(flatRequiresOf([on('Book', [field('__typename'), field('id')]), on('Movie', [field('__typename'), field('id')])])).toBeNull();
  });

  it('works each requires out once (plans are cached, so is this)', () => {
    expect(flatRequiresOf(USER_KEY)).toBe(flatRequiresOf(USER_KEY));
  });
});
