import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { parse, type FragmentDefinitionNode, type GraphQLCompositeType, type OperationDefinitionNode } from 'graphql';
import { operationCachePolicy, readCacheControlHints, selectionPolicy, type SelectionParent } from '../src/execution/cacheControlHints';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { delegateEnforcedSecurityFeatures } from '../src/liveSupergraph';
import { SupergraphPlanner } from '../src/supergraphPlanner';
import { compose } from './cacheControlSupergraph';

describe('@cacheControl hints composed into the supergraph', () => {
  const sdl = compose();
  const hints = readCacheControlHints(sdl);
  const schema = Supergraph.build(sdl).schema.toGraphQLJSSchema();

  function policyOf(typeName: string, parentMaxAge: SelectionParent, selection: string) {
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
    expect(policyOf('Query', 'root', '{ listing(id: "1") { title } }')).toEqual({ maxAge: 30, scope: 'PUBLIC' });
    expect(policyOf('Query', 'root', '{ listings { id } }')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
    expect(policyOf('Query', 'root', '{ listings { myNote } }')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
  });

  /** The policy the gate computes for a whole operation (the Cache-Control header's). */
  function operationPolicy(text: string) {
    const document = parse(text);
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions) if (definition.kind === 'FragmentDefinition') fragments.set(definition.name.value, definition);
    const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition');
    if (!operation) throw new Error('no operation');
    return operationCachePolicy(schema, hints, operation, fragments);
  }

  it('an operation takes the smallest max age of everything it selects, by Apollo Server\'s rules', () => {
    expect(operationPolicy('{ listing(id: "1") { id title host { name } } }')).toEqual({ maxAge: 30, scope: 'PUBLIC' });
    expect(operationPolicy('{ listing(id: "1") { title price } motd }')).toEqual({ maxAge: 5, scope: 'PUBLIC' });
    expect(operationPolicy('query Q { ...Root } fragment Root on Query { motd listings { title } }')).toEqual({ maxAge: 45, scope: 'PUBLIC' });
    expect(operationPolicy('{ listing(id: "1") { title myNote } }')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
  });

  it('a root field without a max age of its own counts as 0, a scalar one too, inheritMaxAge or not', () => {
    expect(operationPolicy('{ version }')).toEqual({ maxAge: 0, scope: 'PUBLIC' });
    expect(operationPolicy('{ motd version }').maxAge).toBe(0);
    // Its return type's hint is its own (Listing: 60), so inheritMaxAge has nothing to inherit.
    expect(operationPolicy('{ similar(id: "1") { title } }')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
  });

  it('a scope without a max age makes the result PRIVATE and still takes the type\'s max age', () => {
    expect(operationPolicy('{ privateListing { title } }')).toEqual({ maxAge: 60, scope: 'PRIVATE' });
  });

  it('a query restricting nothing is not cacheable (never an Infinity max age), nor is any mutation', () => {
    expect(operationPolicy('{ __typename }')).toEqual({ maxAge: 0, scope: 'PUBLIC' });
    expect(operationPolicy('{ __schema { queryType { name } } }').maxAge).toBe(0);
    expect(selectionPolicy(schema, hints, schema.getQueryType() as GraphQLCompositeType, 'root', (parse('{ __typename }').definitions[0] as OperationDefinitionNode).selectionSet, new Map()).maxAge).toBe(Number.POSITIVE_INFINITY);
    expect(operationPolicy('mutation { touch(id: "1") { id } }')).toEqual({ maxAge: 0, scope: 'PUBLIC' });
  });

  it('a supergraph without the directive has no hints', () => {
    const plain = composeServices([
      { name: 'a', url: 'http://a', typeDefs: parse('extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"]) type Query { a: Int }') },
    ]);
    expect(readCacheControlHints(plain.supergraphSdl ?? '').isEmpty).toBe(true);
  });
});

describe("our own supergraph's hints (schema/supergraph.graphql)", () => {
  const sdl = readFileSync(resolve(__dirname, '../../schema/supergraph.graphql'), 'utf8');
  const hints = readCacheControlHints(sdl);
  // As the router builds it (its planner accepts the supergraph's security features).
  const schema = new SupergraphPlanner(delegateEnforcedSecurityFeatures(sdl)).supergraphSchema;

  /** The policy the entity cache computes for an entity fetch of `typeName` with this selection. */
  function entityPolicy(typeName: string, selection: string) {
    const operation = parse(`{ ... on ${typeName} ${selection} }`).definitions[0] as OperationDefinitionNode;
    const typeHint = hints.hint(typeName);
    const policy = selectionPolicy(schema, hints, schema.getType(typeName) as GraphQLCompositeType, typeHint?.maxAge ?? 0, operation.selectionSet, new Map());
    // As EntityFetchCache does: the entity type's own scope counts too.
    return typeHint?.scope === 'PRIVATE' ? { ...policy, scope: 'PRIVATE' } : policy;
  }

  it('caches a listing and its public parts for every viewer alike', () => {
    expect(entityPolicy('Listing', '{ id title city pricePerNight { amount currency } cleaningFee { amount } host { id } category { name } }')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
  });

  it('makes anything viewer-dependent PRIVATE: bookings, invoices, a user\'s email, a listing\'s bookings', () => {
    expect(entityPolicy('Booking', '{ id status guests }')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
    expect(entityPolicy('Invoice', '{ id status }')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
    expect(entityPolicy('User', '{ id displayName email }')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
    expect(entityPolicy('Listing', '{ id bookings { id } }')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
  });

  it('a listing read is cacheable for 60 s, a page of listings (an unhinted connection) is not', () => {
    const api = new SupergraphPlanner(delegateEnforcedSecurityFeatures(sdl)).apiGraphQLSchema;
    const policyOf = (text: string) => operationCachePolicy(api, hints, parse(text).definitions[0] as OperationDefinitionNode, new Map());
    expect(policyOf('{ listing(id: "1") { id title pricePerNight { amount currency } category { name } host { displayName } } }')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
    expect(policyOf('{ categories { slug name } }')).toEqual({ maxAge: 600, scope: 'PUBLIC' });
    expect(policyOf('{ listings(first: 5) { edges { node { id } } } }').maxAge).toBe(0);
    expect(policyOf('{ listing(id: "1") { host { email } } }')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
  });

  it('shares a public profile, and caches nothing unhinted (a connection)', () => {
    expect(entityPolicy('User', '{ id displayName role }')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
    expect(entityPolicy('Listing', '{ id bookingsConnection(first: 5) { edges { cursor } } }').maxAge).toBe(0);
  });
});
