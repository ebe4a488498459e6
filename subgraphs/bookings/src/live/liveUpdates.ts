import type { EventEnvelope, LiveUpdate } from '@booking/runtime';

export const BOOKING_UPDATED = 'BOOKING_UPDATED';
export const MY_BOOKINGS = 'MY_BOOKINGS';

/** A booking changed: its own subscribers, and its guest's and host's `myBookings`. */
export function bookingLiveUpdates(event: EventEnvelope): LiveUpdate[] {
  if (event.type !== 'booking.held' && event.type !== 'booking.status_changed') return [];
  const payload = event.payload as { bookingId: string; guestId: string; hostId?: string };
  const signal = { bookingId: payload.bookingId, eventId: event.id };
  const updates: LiveUpdate[] = [
    { topic: BOOKING_UPDATED, id: payload.bookingId, payload: signal },
    { topic: MY_BOOKINGS, id: payload.guestId, payload: signal },
  ];
  if (payload.hostId) updates.push({ topic: MY_BOOKINGS, id: payload.hostId, payload: signal });
  return updates;
}
