import type { EventEnvelope, EventHandler } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';

/** bookings → catalog: which ranges are taken, for search. Ended bookings free theirs. */
export const onBookingEvent: EventHandler = async (event: EventEnvelope, tx: EntityManager) => {
  if (event.type === 'booking.held') {
    const held = (event as EventEnvelope<'bookings', 'booking.held'>).payload;
    await tx.execute(
      `insert into listing_occupancy (booking_id, listing_id, starts_at, ends_at, active) values (?, ?, ?, ?, true)
       on conflict (booking_id) do nothing`,
      [held.bookingId, held.listingId, held.startsAt, held.endsAt],
    );
  } else if (event.type === 'booking.status_changed') {
    const change = (event as EventEnvelope<'bookings', 'booking.status_changed'>).payload;
    const active = change.status === 'CONFIRMED' || change.status === 'COMPLETED';
    // Upsert: a status change may arrive for a hold this replica has not seen (e.g. demo data).
    await tx.execute(
      `insert into listing_occupancy (booking_id, listing_id, starts_at, ends_at, active) values (?, ?, ?, ?, ?)
       on conflict (booking_id) do update set active = excluded.active`,
      [change.bookingId, change.listingId, change.startsAt, change.endsAt, active],
    );
  }
};
