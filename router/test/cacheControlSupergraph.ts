import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

/** A two-subgraph supergraph with `@cacheControl` hints, for the entity cache's tests. */
/** How a subgraph declares the directive: its own @link, composed through @composeDirective. */
export function subgraphHeader(importAs = '@cacheControl'): string {
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

export function compose(importAs?: string): string {
  const name = (importAs ?? '@cacheControl').slice(1);
  const catalog = `${subgraphHeader(importAs)}
type Query { listing(id: ID!): Listing @${name}(maxAge: 30) listings: [Listing!]! version: String! motd: String! @${name}(maxAge: 45) similar(id: ID!): Listing @${name}(inheritMaxAge: true) privateListing: Listing @${name}(scope: PRIVATE) }
type Mutation { touch(id: ID!): Listing }
type Listing @key(fields: "id") @${name}(maxAge: 60) { id: ID! title: String! host: Host! price: Int! @${name}(maxAge: 5) }
type Host @key(fields: "id") @${name}(maxAge: 120) { id: ID! name: String! }`;
  const bookings = `${subgraphHeader(importAs)}
type Listing @key(fields: "id") { id: ID! myNote: String @${name}(maxAge: 10, scope: PRIVATE) related: Listing @${name}(inheritMaxAge: true) unhinted: Review }
type Review { stars: Int! }`;
  const result = composeServices([
    { name: 'catalog', url: 'http://catalog', typeDefs: parse(catalog) },
    { name: 'bookings', url: 'http://bookings', typeDefs: parse(bookings) },
  ]);
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join('\n'));
  return result.supergraphSdl;
}

