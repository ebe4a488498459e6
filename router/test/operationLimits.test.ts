import { buildSchema, getIntrospectionQuery, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { exceededLimits, measureOperation, type OperationLimits } from '../src/pipeline/operationLimits';

const schema = buildSchema(`
  type Query { node: Node, nodes: [Node!]!, me: User }
  interface Named { name: String }
  type Node implements Named { id: ID!, name: String, a: Node, b: Node }
  type User implements Named { id: ID!, name: String, friends: [User!]! }
`);

function measure(text: string) {
  const document = parse(text);
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  if (!operation) throw new Error('no operation');
  return measureOperation(schema, document, operation);
}

/** Each fragment spreads the next under two fields: 2^levels response paths. */
function doubling(levels: number, alias = false): string {
  const fragments = Array.from({ length: levels }, (_, i) =>
    i + 1 < levels
      ? `fragment F${i} on Node { ${alias ? 'x: ' : ''}id a { ...F${i + 1} } b { ...F${i + 1} } }`
      : `fragment F${i} on Node { ${alias ? 'x: ' : ''}id }`,
  );
  return `{ node { ...F0 } } ${fragments.join(' ')}`;
}

const generous: OperationLimits = { maxDepth: 15, maxAliases: 30, maxRootFields: 20, maxHeight: 200, maxDirectivesPerField: 10 };

describe('measureOperation', () => {
  it('measures depth, aliases, root fields, distinct fields and directives', () => {
    expect(measure('{ node { id a { id b { name } } } me { id } }')).toEqual({
      depth: 4,
      aliases: 0,
      rootFields: 2,
      // Query.node, Node.id, Node.a, Node.b, Node.name, Query.me, User.id
      height: 7,
      directivesPerField: 0,
    });
    expect(measure('{ one: node { id } two: node { first: id second: id } }')).toMatchObject({ aliases: 4, rootFields: 2, height: 2 });
    expect(measure('query ($x: Boolean!) { node @include(if: $x) @skip(if: false) { id } }')).toMatchObject({ directivesPerField: 2 });
  });

  it('follows fragments and inline fragments, with their own type conditions', () => {
    const measured = measure('{ me { ...Who ... on Named { name } } } fragment Who on User { friends { friends { id } } }');
    expect(measured).toMatchObject({ depth: 4, rootFields: 1 });
    expect(measured.height).toBe(4); // Query.me, User.friends (counted once), User.id, Named.name
  });

  it('counts each use of a fragment for aliases and root fields', () => {
    expect(measure('{ ...Roots ...Roots } fragment Roots on Query { n: node { id } me { id } }')).toMatchObject({ rootFields: 4, aliases: 2 });
  });

  it('measures a fragment bomb in linear time although its counts are exponential', () => {
    const measured = measure(doubling(60, true));
    expect(measured.depth).toBe(61);
    expect(measured.aliases).toBe(2 ** 60 - 1);
    expect(measured.height).toBe(4);
    expect(exceededLimits(measured, generous).map((exceeded) => exceeded.code)).toEqual(['MAX_DEPTH_LIMIT', 'MAX_ALIASES_LIMIT']);
  });

  it('survives what validation would refuse: cycles, unknown fragments, fields and types', () => {
    expect(measure('{ node { ...A } } fragment A on Node { a { ...B } } fragment B on Node { b { ...A } }')).toMatchObject({ depth: 3 });
    expect(measure('{ nowhere { ...Missing ... on Ghost { x { y } } } }')).toMatchObject({ depth: 3, height: 3 });
  });

  it("lets the standard introspection query through the default limits", () => {
    expect(exceededLimits(measure(getIntrospectionQuery()), generous)).toEqual([]);
  });
});

describe('exceededLimits', () => {
  it('names every limit exceeded, with the limit and the measured value', () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: node { id }`).join(' ');
    expect(exceededLimits(measure(`{ ${aliases} }`), generous)).toEqual([
      { code: 'MAX_ROOT_FIELDS_LIMIT', message: 'Maximum number of root fields exceeded in this operation: 31, the limit is 20.', limit: 20, measured: 31 },
      { code: 'MAX_ALIASES_LIMIT', message: 'Maximum number of aliases exceeded in this operation: 31, the limit is 30.', limit: 30, measured: 31 },
    ]);
    expect(exceededLimits(measure(`{ ${aliases} }`), { ...generous, maxRootFields: Infinity, maxAliases: Infinity })).toEqual([]);
  });
});
