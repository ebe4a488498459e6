import type { BookingHeldV1, BookingStatusChangedV1, EntityReference, EventEnvelope } from '@booking/runtime';

/**
 * A booking held or changing state: the booking itself, and the lists that hold it, which
 * this subgraph serves as fields of other entities (`Listing.bookings`, `User.bookings`).
 */
export function bookingInvalidations(event: EventEnvelope): EntityReference[] {
  if (event.type !== 'booking.held' && event.type !== 'booking.status_changed') return [];
  const payload = event.payload as BookingHeldV1 | BookingStatusChangedV1;
  return [
    { typename: 'Booking', key: { id: payload.bookingId } },
    { typename: 'Listing', key: { id: payload.listingId } },
    { typename: 'User', key: { id: payload.guestId } },
  ];
}
