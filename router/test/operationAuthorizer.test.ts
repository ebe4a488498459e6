import { buildSchema, Kind, parse, print, validate } from 'graphql';
import { readAccessRequirements } from '../src/auth/accessRequirements';
import { authorizeOperation, MAX_PATHS_PER_COORDINATE } from '../src/auth/operationAuthorizer';

const sdl = `
  directive @authenticated on FIELD_DEFINITION | OBJECT
  type Query { node: Node }
  type Node { id: ID!, secret: String @authenticated, a: Node, b: Node }
`;
const schema = buildSchema(sdl);
const requirements = readAccessRequirements(sdl);

/** Each fragment spreads the next under two aliases: 2^levels response paths to `secret`. */
function doubling(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, i) =>
    i + 1 < levels ? `fragment F${i} on Node { id secret a { ...F${i + 1} } b { ...F${i + 1} } }` : `fragment F${i} on Node { id secret }`,
  );
  return `{ node { ...F0 ...F0 } } ${fragments.join(' ')}`;
}

describe('authorizeOperation', () => {
  it('keeps fragments as fragments, rewritten once, and the result is a valid document', () => {
    const outcome = authorizeOperation(schema, requirements, parse(doubling(3)), undefined, null);
    expect(outcome.empty).toBe(false);
    expect(print(outcome.document)).toBe(print(parse(doubling(3).replace(/ secret/g, ''))));
    expect(validate(schema, outcome.document)).toEqual([]);
    expect(outcome.errors.map((error) => error.path?.join('.'))).toEqual([
      'node.secret',
      'node.a.secret',
      'node.a.a.secret',
      'node.a.b.secret',
      'node.b.secret',
      'node.b.a.secret',
      'node.b.b.secret',
    ]);
  });

  it('stays linear when the response paths are exponential, and says when it stopped listing them', () => {
    const started = performance.now();
    const outcome = authorizeOperation(schema, requirements, parse(doubling(40)), undefined, null);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(outcome.document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)).toHaveLength(40);
    expect(outcome.errors).toHaveLength(MAX_PATHS_PER_COORDINATE + 1);
    expect(new Set(outcome.errors.map((error) => error.path?.join('.'))).size).toBe(MAX_PATHS_PER_COORDINATE + 1);
    const last = outcome.errors[MAX_PATHS_PER_COORDINATE];
    expect(last?.path).toBeUndefined();
    expect(last?.message).toBe(`Unauthenticated: Node.secret requires a signed-in user (also at more response paths than the ${MAX_PATHS_PER_COORDINATE} reported)`);
    expect(last?.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('drops a fragment left empty, with its spreads', () => {
    const outcome = authorizeOperation(schema, requirements, parse('{ node { id ...S } } fragment S on Node { secret }'), undefined, null);
    expect(print(outcome.document)).toBe(print(parse('{ node { id } }')));
    expect(outcome.errors.map((error) => error.path)).toEqual([['node', 'secret']]);
  });

  describe('errorsIn: the removed fields placed in a response', () => {
    const outcome = () => authorizeOperation(schema, requirements, parse('{ node { id secret a { secret } } }'), undefined, null);

    it('reports a field under every item of a list, at its index, and none under null parents', () => {
      const listSchema = buildSchema(`${sdl} extend type Query { nodes: [Node] }`);
      const listed = authorizeOperation(listSchema, readAccessRequirements(sdl), parse('{ nodes { id a { secret } } }'), undefined, null);
      const errors = listed.denials.errorsIn({ nodes: [{ id: '1', a: {} }, null, { id: '3', a: null }, { id: '4', a: {} }] });
      expect(errors.map((error) => error.path?.join('.'))).toEqual(['nodes.0.a.secret', 'nodes.3.a.secret']);
    });

    it('completes the path from the document where the data stops at a removed parent', () => {
      expect(outcome().denials.errorsIn({ node: { id: '1' } }).map((error) => error.path?.join('.'))).toEqual(['node.secret', 'node.a.secret']);
    });

    it('without data (nothing ran) reports the document paths', () => {
      expect(outcome().denials.errorsIn(null).map((error) => error.path?.join('.'))).toEqual(['node.secret', 'node.a.secret']);
    });

    it(`stops at ${MAX_PATHS_PER_COORDINATE} paths per field and says so once`, () => {
      const listSchema = buildSchema(`${sdl} extend type Query { nodes: [Node] }`);
      const listed = authorizeOperation(listSchema, readAccessRequirements(sdl), parse('{ nodes { id secret } }'), undefined, null);
      const errors = listed.denials.errorsIn({ nodes: Array.from({ length: 150 }, (_, index) => ({ id: String(index) })) });
      expect(errors).toHaveLength(MAX_PATHS_PER_COORDINATE + 1);
      expect(errors[MAX_PATHS_PER_COORDINATE - 1]?.path).toEqual(['nodes', MAX_PATHS_PER_COORDINATE - 1, 'secret']);
      expect(errors[MAX_PATHS_PER_COORDINATE]?.path).toBeUndefined();
    });
  });
});
