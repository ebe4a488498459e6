import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { parse, type FragmentDefinitionNode, type GraphQLCompositeType, type OperationDefinitionNode } from 'graphql';
import { readCacheControlHints, selectionPolicy } from '../src/execution/cacheControlHints';

/** How a subgraph declares the directive: its own @link, composed through @composeDirective. */
function subgraph(importAs = '@cacheControl'): string {
  const name = importAs.slice(1);
  const imported = importAs === '@cacheControl' ? '"@cacheControl"' : `{ name: "@cacheControl", as: "${importAs}" }`;
  return `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@composeDirective"])
  @link(url: "https://booking.example/cacheControl/v1.0", import: [${imported}])
  @composeDirective(name: "${importAs}")
directive ${importAs}(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
enum CacheControlScope { PUBLIC PRIVATE }
`.replace(/@cacheControl\(/g, `@${name}(`);
}

function compose(importAs?: string): string {
  const name = (importAs ?? '@cacheControl').slice(1);
  const catalog = `${subgraph(importAs)}
type Query { listing(id: ID!): Listing @${name}(maxAge: 30) listings: [Listing!]! }
type Listing @key(fields: "id") @${name}(maxAge: 60) { id: ID! title: String! host: Host! price: Int! @${name}(maxAge: 5) }
type Host @key(fields: "id") @${name}(maxAge: 120) { id: ID! name: String! }`;
  const bookings = `${subgraph(importAs)}
type Listing @key(fields: "id") { id: ID! myNote: String @${name}(maxAge: 10, scope: PRIVATE) related: Listing @${name}(inheritMaxAge: true) unhinted: Review }
type Review { stars: Int! }`;
  const result = composeServices([
    { name: 'catalog', url: 'http://catalog', typeDefs: parse(catalog) },
    { name: 'bookings', url: 'http://bookings', typeDefs: parse(bookings) },
  ]);
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join('\n'));
  return result.supergraphSdl;
}

describe('@cacheControl hints composed into the supergraph', () => {
  const sdl = compose();
  const hints = readCacheControlHints(sdl);
  const schema = Supergraph.build(sdl).schema.toGraphQLJSSchema();

  function policyOf(typeName: string, parentMaxAge: number, selection: string) {
    const document = parse(`{ ... on ${typeName} ${selection} }`);
    const operation = document.definitions[0] as OperationDefinitionNode;
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions) if (definition.kind === 'FragmentDefinition') fragments.set(definition.name.value, definition);
    return selectionPolicy(schema, hints, schema.getType(typeName) as GraphQLCompositeType, parentMaxAge, operation.selectionSet, fragments);
  }

  it('reads type and field hints through composition', () => {
    expect(hints.isEmpty).toBe(false);
    expect(hints.hint('Listing')).toEqual({ maxAge: 60 });
    expect(hints.hint('Query.listing')).toEqual({ maxAge: 30 });
    expect(hints.hint('Listing.myNote')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
    expect(hints.hint('Listing.related')).toEqual({ inheritMaxAge: true });
    expect(hints.hint('Listing.title')).toBeUndefined();
  });

  it('reads the directive under the name a subgraph imported it as', () => {
    const renamed = readCacheControlHints(compose('@cache'));
    expect(renamed.hint('Listing')).toEqual({ maxAge: 60 });
    expect(renamed.hint('Listing.myNote')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
  });

  it('an entity selection takes the smallest max age and PRIVATE from any hint', () => {
    expect(policyOf('Listing', 60, '{ id title }')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
    expect(policyOf('Listing', 60, '{ title price }')).toEqual({ maxAge: 5, scope: 'PUBLIC' });
    expect(policyOf('Listing', 60, '{ title myNote }')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
    expect(policyOf('Listing', 60, '{ host { name } }')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
    expect(policyOf('Listing', 60, '{ related { title } }')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
  });

  it('a field returning an unhinted object type makes the selection uncacheable', () => {
    expect(policyOf('Listing', 60, '{ title unhinted { stars } }')).toEqual({ maxAge: 0, scope: 'PUBLIC' });
  });

  it('a root field takes its own hint, else its type’s', () => {
    expect(policyOf('Query', Number.POSITIVE_INFINITY, '{ listing(id: "1") { title } }')).toEqual({ maxAge: 30, scope: 'PUBLIC' });
    expect(policyOf('Query', Number.POSITIVE_INFINITY, '{ listings { id } }')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
    expect(policyOf('Query', Number.POSITIVE_INFINITY, '{ listings { myNote } }')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
  });

  it('a supergraph without the directive has no hints', () => {
    const plain = composeServices([
      { name: 'a', url: 'http://a', typeDefs: parse('extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"]) type Query { a: Int }') },
    ]);
    expect(readCacheControlHints(plain.supergraphSdl ?? '').isEmpty).toBe(true);
  });
});
