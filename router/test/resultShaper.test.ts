import { buildSchema, Kind, parse, type FragmentDefinitionNode, type GraphQLObjectType, type OperationDefinitionNode } from 'graphql';
import { ResultShaper, UnsupportedOperation } from '../src/execution/resultShaper';

const schema = buildSchema(`
  type Query { shelf: Shelf, items: [Item!], thing: Thing }
  type Shelf { id: ID!, label: String!, count: Int, kind: Kind }
  enum Kind { WOOD METAL }
  interface Thing { id: ID! }
  type Book implements Thing { id: ID!, title: String }
  type Lamp implements Thing { id: ID!, watts: Int }
  type Item { id: ID!, thing: Thing! }
`);

function shaper(query: string): ResultShaper {
  const document = parse(query);
  const operation = document.definitions[0] as OperationDefinitionNode;
  return new ResultShaper(schema, schema.getQueryType() as GraphQLObjectType, operation.selectionSet, {});
}

describe('ResultShaper', () => {
  it('keeps only what was asked, in order, under aliases, with __typename', () => {
    const shaped = shaper('{ s: shelf { __typename label id } }').shape({ s: { id: '1', label: 'top', count: 3, extra: true } }, {});
    expect(JSON.stringify(shaped.data)).toBe('{"s":{"__typename":"Shelf","label":"top","id":"1"}}');
    expect(shaped.errors).toEqual([]);
  });

  it('picks fields by the runtime type of an interface', () => {
    const shaped = shaper('{ thing { id ... on Book { title } ... on Lamp { watts } } }').shape(
      { thing: { __typename: 'Lamp', id: 'l1', watts: 40, title: 'not a book' } },
      {},
    );
    expect(shaped.data).toEqual({ thing: { id: 'l1', watts: 40 } });
  });

  it('nulls the nearest nullable parent when a non-null field is null, and reports where', () => {
    const shaped = shaper('{ shelf { id label } }').shape({ shelf: { id: '1', label: null } }, {});
    expect(shaped.data).toEqual({ shelf: null });
    expect(shaped.errors).toEqual([
      { message: 'Cannot return null for non-nullable field Shelf.label.', path: ['shelf', 'label'], extensions: { code: 'INVALID_GRAPHQL' } },
    ]);
  });

  it('nulls a whole list when a non-null item fails, once', () => {
    const shaped = shaper('{ items { id thing { id } } }').shape({ items: [{ id: 'a', thing: { __typename: 'Book', id: 'b' } }, { id: 'c', thing: null }] }, {});
    expect(shaped.data).toEqual({ items: null });
    expect(shaped.errors.map((error) => error.path)).toEqual([['items', 1, 'thing']]);
  });

  it('turns leaf values of the wrong type into null with an error', () => {
    const shaped = shaper('{ shelf { count kind } }').shape({ shelf: { count: 'three', kind: 'PLASTIC' } }, {});
    expect(shaped.data).toEqual({ shelf: { count: null, kind: null } });
    expect(shaped.errors.map((error) => error.message)).toEqual(['Invalid value found for field Shelf.count.', 'Invalid value found for field Shelf.kind.']);
  });

  it('applies @skip / @include from variables at request time', () => {
    const compiled = shaper('query($more: Boolean!) { shelf { id count @include(if: $more) label @skip(if: true) } }');
    const input = { shelf: { id: '1', count: 2, label: 'x' } };
    expect(compiled.shape(input, { more: true }).data).toEqual({ shelf: { id: '1', count: 2 } });
    expect(compiled.shape(input, { more: false }).data).toEqual({ shelf: { id: '1' } });
  });

  it('compiles fragments spread twice at every level, and under doubling aliases, once each', () => {
    const tree = buildSchema('type Query { node: Node } type Node { id: ID!, a: Node, b: Node }');
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i + 1 < levels ? `fragment F${i} on Node { id ...F${i + 1} ...F${i + 1} a { ...F${i + 1} } b { ...F${i + 1} } }` : `fragment F${i} on Node { id }`,
    );
    const document = parse(`{ node { ...F0 ...F0 } } ${fragments.join(' ')}`);
    const started = performance.now();
    const compiled = new ResultShaper(
      tree,
      tree.getQueryType() as GraphQLObjectType,
      (document.definitions[0] as OperationDefinitionNode).selectionSet,
      Object.fromEntries(
        document.definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition as FragmentDefinitionNode]] : [])),
      ),
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    const shaped = compiled.shape({ node: { id: '1', extra: 0, a: { id: '2', a: null, b: { id: '3', a: null, b: null } }, b: null } }, {});
    expect(JSON.stringify(shaped.data)).toBe('{"node":{"id":"1","a":{"id":"2","a":null,"b":{"id":"3","a":null,"b":null}},"b":null}}');
  });

  it('keeps aliases named like members of every object as own properties', () => {
    const shaped = shaper('{ __proto__: shelf { constructor: id toString: count } }').shape({ ['__proto__']: { constructor: '1' } } as never, {});
    expect(JSON.stringify(shaped.data)).toBe('{"__proto__":{"constructor":"1","toString":null}}');
    expect(shaped.errors).toEqual([]);
  });

  it('copies root introspection answers as they are (graphql-js answered them), in place among the data', () => {
    const introspected = { s: { queryType: { name: 'Query' } }, __type: null };
    const shaped = shaper('{ shelf { id } s: __schema { queryType { name } } __type(name: "Nope") { name } }').shape({ shelf: { id: '1', extra: 2 }, ...introspected }, {});
    expect(JSON.stringify(shaped.data)).toBe('{"shelf":{"id":"1"},"s":{"queryType":{"name":"Query"}},"__type":null}');
    expect(shaped.errors).toEqual([]);
  });

  it('refuses introspection below the root (no valid operation has it), for the gateway to word', () => {
    expect(() => shaper('{ shelf { __schema { queryType { name } } } }')).toThrow(UnsupportedOperation);
  });

  describe('an object whose __typename names an interface (an @interfaceObject subgraph answered)', () => {
    it('is kept when the selection does not depend on the concrete type', () => {
      const shaped = shaper('{ thing { id } }').shape({ thing: { __typename: 'Thing', id: 't1' } }, {});
      expect(shaped.data).toEqual({ thing: { id: 't1' } });
      expect(shaped.errors).toEqual([]);
    });

    it('is kept without __typename (the planner asks none of an @interfaceObject subgraph when not needed)', () => {
      const shaped = shaper('{ thing { id } }').shape({ thing: { id: 't1' } }, {});
      expect(shaped.data).toEqual({ thing: { id: 't1' } });
      expect(shaped.errors).toEqual([]);
    });

    it('is kept in lists, under aliases', () => {
      const shaped = shaper('{ items { id t: thing { i: id } } }').shape({ items: [{ id: '1', t: { __typename: 'Thing', i: 'a' } }, { id: '2', t: { __typename: 'Thing', i: 'b' } }] }, {});
      expect(shaped.data).toEqual({ items: [{ id: '1', t: { i: 'a' } }, { id: '2', t: { i: 'b' } }] });
      expect(shaped.errors).toEqual([]);
    });

    it('is never nulled silently when the concrete type is needed (__typename or a type condition)', () => {
      for (const query of ['{ thing { __typename id } }', '{ thing { n: __typename } }', '{ thing { id ... on Book { title } } }']) {
        const shaped = shaper(query).shape({ thing: { __typename: 'Thing', id: 't1' } }, {});
        expect(shaped.data).toEqual({ thing: null });
        expect(shaped.errors).toEqual([expect.objectContaining({ path: ['thing'], extensions: { code: 'INVALID_GRAPHQL' } })]);
      }
    });
  });
});
