import { composeServices } from '@apollo/composition';
import { buildSchema, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { readCostDirectives } from '../src/pipeline/costDirectives';
import { OperationCostEstimator } from '../src/pipeline/operationCost';

const sdl = `
  directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  type Query {
    listings(first: Int = 20, city: String @cost(weight: 4)): ListingConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
    tags: [String!]!
    featured: [Listing!]! @listSize(assumedSize: 5)
    anything: [Listing!]!
    search: [Result!]!
    report: Int @cost(weight: 50)
  }
  type Mutation { book(id: ID!): Booking! }
  type ListingConnection { edges: [ListingEdge!]! pageInfo: PageInfo! }
  type PageInfo { hasNextPage: Boolean! }
  type ListingEdge { node: Listing! }
  type Listing { id: ID! title: String! host: User! similar: [Listing!]! @listSize(assumedSize: 2) reviews(first: Int! = 3): [Review!]! @listSize(slicingArguments: ["first"]) }
  type User @cost(weight: 2) { id: ID! }
  type Review { id: ID! }
  type Booking { id: ID! }
  union Result = Listing | User
`;
const schema = buildSchema(sdl);
const directives = readCostDirectives(sdl);

function estimate(text: string, variables: Record<string, unknown> = {}) {
  const document = parse(text);
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  if (!operation) throw new Error('no operation');
  return new OperationCostEstimator(schema, directives, { defaultListSize: 10 }, document, operation).estimate(variables);
}

describe('OperationCostEstimator', () => {
  it('costs objects 1, scalars 0, and @cost on fields, types and arguments', () => {
    expect(estimate('{ report }').cost).toBe(50);
    expect(estimate('{ featured { id title } }').cost).toBe(5); // assumedSize 5 × Listing 1
    expect(estimate('{ featured { host { id } } }').cost).toBe(5 * (1 + 2)); // User weighs 2
    expect(estimate('{ tags }').cost).toBe(0); // a list of scalars costs nothing to shape
    expect(estimate('{ anything { id } }').cost).toBe(10); // the default list size
  });

  it('sizes a connection by its slicing argument, given, from a variable or defaulted, on the sized field', () => {
    // listings 1 + first × (edge 1 + node 1) + pageInfo 1
    expect(estimate('{ listings(first: 50) { edges { node { id } } pageInfo { hasNextPage } } }')).toEqual({ cost: 1 + 50 * 2 + 1, dependsOnVariables: false });
    expect(estimate('{ listings { edges { node { id } } } }').cost).toBe(1 + 20 * 2);
    expect(estimate('query ($n: Int) { listings(first: $n) { edges { node { id } } } }', { n: 7 })).toEqual({ cost: 1 + 7 * 2, dependsOnVariables: true });
    expect(estimate('{ listings(city: "Kyoto") { edges { node { id } } } }').cost).toBe(1 + 20 * 2 + 4);
  });

  it('multiplies nested lists', () => {
    expect(estimate('{ listings(first: 10) { edges { node { reviews(first: 5) { id } } } } }').cost).toBe(1 + 10 * (1 + 1 + 5 * 1));
  });

  it('adds the weight of a mutation', () => {
    expect(estimate('mutation { book(id: "1") { id } }').cost).toBe(10 + 1);
  });

  it('counts only the dearest of fragments on different object types', () => {
    expect(estimate('{ search { ... on Listing { host { id } } ... on User { id } } }').cost).toBe(10 * (1 + 2));
  });

  it('counts every alias, so 10,000 aliases of a list are refused long before they run', () => {
    const aliases = Array.from({ length: 10_000 }, (_, i) => `a${i}: listings(first: 100) { edges { node { id } } }`).join(' ');
    expect(estimate(`{ ${aliases} }`).cost).toBe(10_000 * (1 + 100 * 2));
  });

  it('estimates a fragment bomb (2^40 paths) in linear time', () => {
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i + 1 < levels ? `fragment D${i} on Listing { similar { ...D${i + 1} } again: similar { ...D${i + 1} } }` : `fragment D${i} on Listing { host { id } }`,
    );
    const { cost } = estimate(`{ featured { ...D0 } } ${fragments.join(' ')}`);
    // Each level: two fields of 2 listings each, so 4× the level below; the last level's host costs 2.
    let expected = 2;
    for (let level = levels - 2; level >= 0; level -= 1) expected = 2 * 2 * (1 + expected);
    expect(cost).toBe(5 * (1 + expected));
    expect(cost).toBeGreaterThan(1e24);
  });
});

describe('readCostDirectives', () => {
  it('reads the directives as composition writes them into a supergraph, under their imported names', () => {
    const subgraph = parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])
      type Query { listings(first: Int = 20): [Listing!]! @listSize(slicingArguments: ["first"], assumedSize: 50) report: Int @cost(weight: 25) }
      type Listing @key(fields: "id") { id: ID! title(locale: String @cost(weight: 3)): String }
      enum Tier @cost(weight: 2) { GOLD }
      type Extra { tier: Tier }
    `);
    const composed = composeServices([{ name: 'catalog', url: 'http://catalog', typeDefs: subgraph }]);
    if (!composed.supergraphSdl) throw new Error(String(composed.errors));
    const read = readCostDirectives(composed.supergraphSdl);
    expect(read.weight('Query.report')).toBe(25);
    expect(read.weight('Listing.title(locale:)')).toBe(3);
    expect(read.weight('Tier')).toBe(2);
    expect(read.listSize('Query.listings')).toEqual({ assumedSize: 50, slicingArguments: ['first'], sizedFields: [] });
  });

  it('follows a renamed import', () => {
    const read = readCostDirectives(`
      schema @link(url: "https://specs.apollo.dev/cost/v0.1", import: [{ name: "@cost", as: "@weight" }]) { query: Query }
      directive @weight(weight: Int!) on FIELD_DEFINITION
      type Query { report: Int @weight(weight: 9) }
    `);
    expect(read.weight('Query.report')).toBe(9);
  });
});
