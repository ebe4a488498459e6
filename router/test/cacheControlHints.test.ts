import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { parse, type FragmentDefinitionNode, type GraphQLCompositeType, type OperationDefinitionNode } from 'graphql';
import { readCacheControlHints, selectionPolicy } from '../src/execution/cacheControlHints';
import { compose } from './cacheControlSupergraph';

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
