import type { EventEnvelope, LiveUpdate } from '@booking/runtime';

export const AVAILABILITY_CHANGED = 'AVAILABILITY_CHANGED';

/** A range of a listing was taken or freed (catalog heard it from bookings). */
export function availabilityLiveUpdates(event: EventEnvelope): LiveUpdate[] {
  if (event.type !== 'booking.held' && event.type !== 'booking.status_changed') return [];
  const payload = event.payload as { listingId: string; startsAt: string; endsAt: string; status?: string };
  const taken = event.type === 'booking.held' || payload.status === 'CONFIRMED' || payload.status === 'COMPLETED';
  return [
    {
      topic: AVAILABILITY_CHANGED,
      id: payload.listingId,
      payload: { listingId: payload.listingId, startsAt: payload.startsAt, endsAt: payload.endsAt, available: !taken },
    },
  ];
}
