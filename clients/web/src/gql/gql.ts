/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      accessToken\n      user { id email displayName }\n    }\n  }\n": typeof types.LoginDocument,
    "\n  query Viewer {\n    viewer { id email displayName }\n  }\n": typeof types.ViewerDocument,
    "\n  query ListingsInCity($city: String!) {\n    listings(city: $city) {\n      edges { node { id title pricePerNight { amount currency } host { displayName } } }\n    }\n  }\n": typeof types.ListingsInCityDocument,
    "\n  query Bookings {\n    bookings(first: 3) {\n      edges {\n        node {\n          id status startsAt endsAt\n          listing { title city pricePerNight { amount currency } host { displayName } }\n          guest { displayName }\n          invoice { status amount { amount currency } }\n        }\n      }\n    }\n  }\n": typeof types.BookingsDocument,
    "\n  mutation CreateBooking($input: CreateBookingInput!) {\n    createBooking(input: $input) { id status nights total { amount currency } }\n  }\n": typeof types.CreateBookingDocument,
    "\n  mutation CancelBooking($id: ID!) {\n    cancelBooking(id: $id) { id status }\n  }\n": typeof types.CancelBookingDocument,
    "\n  subscription BookingUpdated($id: ID!) {\n    bookingUpdated(id: $id) { id status listing { title } }\n  }\n": typeof types.BookingUpdatedDocument,
    "\n  query BookingWithDeferredListing($id: ID!) {\n    booking(id: $id) {\n      id\n      status\n      ... @defer(label: \"stay\") { listing { title host { displayName } } }\n    }\n  }\n": typeof types.BookingWithDeferredListingDocument,
};
const documents: Documents = {
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      accessToken\n      user { id email displayName }\n    }\n  }\n": types.LoginDocument,
    "\n  query Viewer {\n    viewer { id email displayName }\n  }\n": types.ViewerDocument,
    "\n  query ListingsInCity($city: String!) {\n    listings(city: $city) {\n      edges { node { id title pricePerNight { amount currency } host { displayName } } }\n    }\n  }\n": types.ListingsInCityDocument,
    "\n  query Bookings {\n    bookings(first: 3) {\n      edges {\n        node {\n          id status startsAt endsAt\n          listing { title city pricePerNight { amount currency } host { displayName } }\n          guest { displayName }\n          invoice { status amount { amount currency } }\n        }\n      }\n    }\n  }\n": types.BookingsDocument,
    "\n  mutation CreateBooking($input: CreateBookingInput!) {\n    createBooking(input: $input) { id status nights total { amount currency } }\n  }\n": types.CreateBookingDocument,
    "\n  mutation CancelBooking($id: ID!) {\n    cancelBooking(id: $id) { id status }\n  }\n": types.CancelBookingDocument,
    "\n  subscription BookingUpdated($id: ID!) {\n    bookingUpdated(id: $id) { id status listing { title } }\n  }\n": types.BookingUpdatedDocument,
    "\n  query BookingWithDeferredListing($id: ID!) {\n    booking(id: $id) {\n      id\n      status\n      ... @defer(label: \"stay\") { listing { title host { displayName } } }\n    }\n  }\n": types.BookingWithDeferredListingDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      accessToken\n      user { id email displayName }\n    }\n  }\n"): (typeof documents)["\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      accessToken\n      user { id email displayName }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer { id email displayName }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer { id email displayName }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ListingsInCity($city: String!) {\n    listings(city: $city) {\n      edges { node { id title pricePerNight { amount currency } host { displayName } } }\n    }\n  }\n"): (typeof documents)["\n  query ListingsInCity($city: String!) {\n    listings(city: $city) {\n      edges { node { id title pricePerNight { amount currency } host { displayName } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Bookings {\n    bookings(first: 3) {\n      edges {\n        node {\n          id status startsAt endsAt\n          listing { title city pricePerNight { amount currency } host { displayName } }\n          guest { displayName }\n          invoice { status amount { amount currency } }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Bookings {\n    bookings(first: 3) {\n      edges {\n        node {\n          id status startsAt endsAt\n          listing { title city pricePerNight { amount currency } host { displayName } }\n          guest { displayName }\n          invoice { status amount { amount currency } }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateBooking($input: CreateBookingInput!) {\n    createBooking(input: $input) { id status nights total { amount currency } }\n  }\n"): (typeof documents)["\n  mutation CreateBooking($input: CreateBookingInput!) {\n    createBooking(input: $input) { id status nights total { amount currency } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelBooking($id: ID!) {\n    cancelBooking(id: $id) { id status }\n  }\n"): (typeof documents)["\n  mutation CancelBooking($id: ID!) {\n    cancelBooking(id: $id) { id status }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription BookingUpdated($id: ID!) {\n    bookingUpdated(id: $id) { id status listing { title } }\n  }\n"): (typeof documents)["\n  subscription BookingUpdated($id: ID!) {\n    bookingUpdated(id: $id) { id status listing { title } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BookingWithDeferredListing($id: ID!) {\n    booking(id: $id) {\n      id\n      status\n      ... @defer(label: \"stay\") { listing { title host { displayName } } }\n    }\n  }\n"): (typeof documents)["\n  query BookingWithDeferredListing($id: ID!) {\n    booking(id: $id) {\n      id\n      status\n      ... @defer(label: \"stay\") { listing { title host { displayName } } }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;