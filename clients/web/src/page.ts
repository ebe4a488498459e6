import type { FetchResult } from '@apollo/client/core';
import { createBookingClient, type SubscriptionTransport } from './apolloClient';
import { describeFailure } from './errors';
import { BookingUpdated, BookingWithDeferredListing, Bookings, CancelBooking, CreateBooking, ListingsInCity, Login, Viewer } from './operations';

/**
 * A frontend's whole path through the router, in plain DOM: sign in, the README's queries, a
 * booking, its live updates over both subscription transports, a `@defer` query, and an expired
 * token. Every step writes what it got into its own element, which is what the browser test reads.
 * What to do comes from the query string (the test's router, account, listing and stay).
 */
const parameters = new URLSearchParams(location.search);
function parameter(name: string): string {
  const value = parameters.get(name);
  if (!value) throw new Error(`the page needs ?${name}=`);
  return value;
}

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`no #${id} on the page`);
  return found;
}
const show = (id: string, text: string): void => {
  element(id).textContent = text;
};
const append = (id: string, text: string): void => {
  const item = document.createElement('li');
  item.textContent = text;
  element(id).append(item);
};

let accessToken: string | null = null;
const resultsPerOperation = new Map<string, number>();
const { client } = createBookingClient({
  httpUrl: parameter('router'),
  accessToken: () => accessToken,
  onResult: (operationName: string, _result: FetchResult) => resultsPerOperation.set(operationName, (resultsPerOperation.get(operationName) ?? 0) + 1),
});

function watchBooking(id: string, transport: SubscriptionTransport, into: string): void {
  show(`${into}-state`, 'subscribed');
  // Apollo Client shares identical operations in flight (same document and variables) whatever
  // their context: without this, the second transport would just join the first one's stream.
  client.subscribe({ query: BookingUpdated, variables: { id }, context: { transport, queryDeduplication: false } }).subscribe({
    next: ({ data, errors }) => {
      if (errors?.length) append(into, `errors: ${errors.map((error) => `${String(error.extensions?.code)}: ${error.message}`).join('; ')}`);
      if (data) append(into, `${data.bookingUpdated.status} (${data.bookingUpdated.listing?.title ?? 'no listing'})`);
    },
    error: (error: unknown) => append(into, `failed: ${describeFailure(error)}`),
    complete: () => show(`${into}-state`, 'completed'),
  });
}

/** Shows each state Apollo Client renders for the deferred query, until the deferred part is in. */
function showDeferred(id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const subscription = client.watchQuery({ query: BookingWithDeferredListing, variables: { id }, fetchPolicy: 'no-cache' }).subscribe({
      next: ({ data }) => {
        const booking = data?.booking;
        if (!booking) return;
        const listing = 'listing' in booking ? booking.listing : undefined;
        if (listing === undefined) {
          append('deferred', `${booking.status}; listing still deferred`);
          return;
        }
        append('deferred', `${booking.status}; listing: ${listing?.title ?? 'null'}, host ${listing?.host?.displayName ?? 'null'}`);
        show('deferred-parts', `received in ${resultsPerOperation.get('BookingWithDeferredListing') ?? 0} parts`);
        subscription.unsubscribe();
        resolve();
      },
      error: reject,
    });
  });
}

async function run(): Promise<void> {
  const signedIn = await client.mutate({ mutation: Login, variables: { input: { email: parameter('email'), password: parameter('password') } } });
  if (!signedIn.data) throw new Error('login gave no data');
  accessToken = signedIn.data.login.accessToken;
  show('signed-in', `signed in as ${signedIn.data.login.user.displayName}`);

  const viewer = await client.query({ query: Viewer, fetchPolicy: 'network-only' });
  show('viewer', `viewer: ${viewer.data.viewer?.email ?? 'anonymous'}`);

  const listings = await client.query({ query: ListingsInCity, variables: { city: parameter('city') } });
  for (const { node } of listings.data.listings.edges) {
    append('listings', `${node.title}: ${node.pricePerNight.amount} ${node.pricePerNight.currency} a night, host ${node.host?.displayName ?? 'unknown'}`);
  }

  const created = await client.mutate({
    mutation: CreateBooking,
    variables: { input: { listingId: parameter('listing'), startsAt: parameter('startsAt'), endsAt: parameter('endsAt'), idempotencyKey: crypto.randomUUID() } },
  });
  if (!created.data) throw new Error('createBooking gave no data');
  const booking = created.data.createBooking;
  element('booking').dataset.id = booking.id;
  show('booking', `booking ${booking.id}: ${booking.status}, ${booking.nights ?? '?'} nights, ${booking.total ? `${booking.total.amount} ${booking.total.currency}` : 'no total'}`);

  const bookings = await client.query({ query: Bookings, fetchPolicy: 'network-only' });
  for (const { node } of bookings.data.bookings.edges) {
    append('bookings', `${node.status} at ${node.listing?.title ?? '?'} (${node.listing?.city ?? '?'}), guest ${node.guest?.displayName ?? '?'}, invoice ${node.invoice ? `${node.invoice.status} ${node.invoice.amount.amount}` : 'none yet'}`);
  }

  watchBooking(booking.id, 'multipart', 'live-multipart');
  watchBooking(booking.id, 'websocket', 'live-websocket');

  await showDeferred(booking.id);

  // A token past its expiry, as a tab left open for an hour would send it.
  try {
    await client.query({ query: Viewer, fetchPolicy: 'network-only', context: { accessToken: parameter('expiredToken') } });
    show('expired', 'the expired token was accepted');
  } catch (error) {
    show('expired', describeFailure(error));
  }

  const cancel = element('cancel') as HTMLButtonElement;
  cancel.onclick = () => {
    cancel.disabled = true;
    client.mutate({ mutation: CancelBooking, variables: { id: booking.id } }).then(
      (result) => show('cancelled', `cancelled: ${result.data?.cancelBooking.status ?? '?'}`),
      (error: unknown) => show('cancelled', `cancel failed: ${describeFailure(error)}`),
    );
  };
  cancel.disabled = false;
  show('state', 'ready');
}

run().catch((error: unknown) => show('state', `failed: ${describeFailure(error)}`));
