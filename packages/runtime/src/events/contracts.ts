/**
 * The events subgraphs exchange, by type, with a version each. A payload changes only by
 * adding a new version; consumers handle every version they may still receive.
 */
export interface MoneyAmount {
  readonly amount: number;
  readonly currency: string;
}

export interface ListingPublishedV1 {
  readonly listingId: string;
  readonly hostId: string;
  readonly title: string;
  readonly capacity: number;
  readonly nightlyPrice: MoneyAmount;
  readonly cleaningFee: MoneyAmount;
  readonly published: boolean;
}

export interface BookingPriceV1 {
  readonly nights: number;
  readonly nightly: MoneyAmount;
  readonly cleaningFee: MoneyAmount;
  readonly total: MoneyAmount;
}

export interface BookingHeldV1 {
  readonly bookingId: string;
  readonly listingId: string;
  readonly guestId: string;
  readonly hostId: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly guests: number;
  readonly price: BookingPriceV1;
  readonly holdExpiresAt: string;
}

export interface BookingStatusChangedV1 {
  readonly bookingId: string;
  readonly listingId: string;
  readonly guestId: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly status: 'CONFIRMED' | 'COMPLETED' | 'CANCELLED' | 'EXPIRED';
  /** The listing's host, when known (absent on events from before it was added). */
  readonly hostId?: string;
  /** For a cancellation: whether the guest or the host/admin ended it. */
  readonly cancelledBy?: 'GUEST' | 'HOST' | 'ADMIN';
}

export interface InvoiceIssuedV1 {
  readonly invoiceId: string;
  readonly bookingId: string;
  readonly guestId: string;
  readonly total: MoneyAmount;
}

export interface InvoiceSettledV1 {
  readonly invoiceId: string;
  readonly bookingId: string;
  readonly status: 'PAID' | 'VOID' | 'REFUNDED' | 'PARTIALLY_REFUNDED';
  readonly amount: MoneyAmount;
}

/** An account deleted (anonymised): its public profile now reads "Deleted user". */
export interface UserDeletedV1 {
  readonly userId: string;
}

/** Event type → payload, per stream (one stream per publishing subgraph). */
export interface EventCatalog {
  accounts: { 'user.deleted': UserDeletedV1 };
  catalog: { 'listing.published': ListingPublishedV1 };
  bookings: {
    'booking.held': BookingHeldV1;
    'booking.status_changed': BookingStatusChangedV1;
  };
  billing: {
    'invoice.issued': InvoiceIssuedV1;
    'invoice.settled': InvoiceSettledV1;
  };
}

export type StreamName = keyof EventCatalog;
export type EventType<S extends StreamName> = keyof EventCatalog[S] & string;
export type EventPayload<S extends StreamName, T extends EventType<S>> = EventCatalog[S][T];

/** What travels on a stream. */
export interface EventEnvelope<S extends StreamName = StreamName, T extends EventType<S> = EventType<S>> {
  readonly id: string;
  readonly stream: S;
  readonly type: T;
  readonly version: number;
  readonly occurredAt: string;
  readonly payload: EventPayload<S, T>;
}

/** Redis stream key of a subgraph's events, with a prefix so test runs never share keys. */
export function streamKey(prefix: string, stream: StreamName): string {
  return `${prefix}events:${stream}`;
}

export function deadLetterKey(prefix: string, stream: StreamName, group: string): string {
  return `${prefix}events:${stream}:dead:${group}`;
}
