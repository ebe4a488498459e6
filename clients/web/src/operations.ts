import { graphql } from './gql';

/**
 * The page's operations, written once and typed by codegen (`src/gql/`): each constant is a
 * TypedDocumentNode, so `client.query({ query: Viewer })` knows its variables and its result.
 */

export const Login = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      accessToken
      user { id email displayName }
    }
  }
`);

export const Viewer = graphql(`
  query Viewer {
    viewer { id email displayName }
  }
`);

/** The README's first query: listings in a city, each with its price and its host (catalog + accounts). */
export const ListingsInCity = graphql(`
  query ListingsInCity($city: String!) {
    listings(city: $city) {
      edges { node { id title pricePerNight { amount currency } host { displayName } } }
    }
  }
`);

/** The README's `Bookings` query: all four subgraphs in one answer. */
export const Bookings = graphql(`
  query Bookings {
    bookings(first: 3) {
      edges {
        node {
          id status startsAt endsAt
          listing { title city pricePerNight { amount currency } host { displayName } }
          guest { displayName }
          invoice { status amount { amount currency } }
        }
      }
    }
  }
`);

export const CreateBooking = graphql(`
  mutation CreateBooking($input: CreateBookingInput!) {
    createBooking(input: $input) { id status nights total { amount currency } }
  }
`);

export const CancelBooking = graphql(`
  mutation CancelBooking($id: ID!) {
    cancelBooking(id: $id) { id status }
  }
`);

/** Live updates of one booking: the page runs it over multipart HTTP and over graphql-ws. */
export const BookingUpdated = graphql(`
  subscription BookingUpdated($id: ID!) {
    bookingUpdated(id: $id) { id status listing { title } }
  }
`);

/** The booking's own fields first, its listing (another subgraph) in a deferred part. */
export const BookingWithDeferredListing = graphql(`
  query BookingWithDeferredListing($id: ID!) {
    booking(id: $id) {
      id
      status
      ... @defer(label: "stay") { listing { title host { displayName } } }
    }
  }
`);
