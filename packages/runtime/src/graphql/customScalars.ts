import { GraphQLDateTimeISO } from 'graphql-scalars';
import type { GraphQLScalarType } from 'graphql';

export interface CustomScalar {
  /** The implementation the subgraphs read input with. */
  readonly scalar: GraphQLScalarType;
  /** A valid value, for the error message. */
  readonly example: string;
}

/**
 * Every custom scalar our subgraphs define, by name, with the very implementation they parse
 * input with (type-graphql maps `Date` to graphql-scalars' DateTimeISO), so the router can
 * refuse what a subgraph would refuse before calling it. A scalar added to a subgraph belongs
 * here too: the router warns at start about a supergraph scalar missing from this map, and a
 * test holds the committed supergraph to it.
 */
export const CUSTOM_SCALARS: ReadonlyMap<string, CustomScalar> = new Map([
  [GraphQLDateTimeISO.name, { scalar: GraphQLDateTimeISO, example: '"2027-03-01T15:00:00Z"' }],
]);
