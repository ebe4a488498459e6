import { demoId, demoStayStart, insertMissing } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Booking, BookingStatus } from '../entities/Booking';

/**
 * Hosts and prices repeat catalog's demo listings (nightly price, 30.00 cleaning fee); stays
 * start `daysAhead` days after the first start (billing's seed uses the same offsets).
 */
export const DEMO_BOOKINGS = [
  { name: 'alice-alfama', listing: 'alfama-loft', host: 'hana', nightly: 9500, guest: 'alice', daysAhead: 14, nights: 3, status: BookingStatus.CONFIRMED },
  { name: 'bruno-kreuzberg', listing: 'kreuzberg-flat', host: 'omar', nightly: 12000, guest: 'bruno', daysAhead: 24, nights: 5, status: BookingStatus.HELD },
  { name: 'chen-machiya', listing: 'kyoto-machiya', host: 'hana', nightly: 21000, guest: 'chen', daysAhead: 40, nights: 4, status: BookingStatus.CONFIRMED },
  { name: 'alice-tea', listing: 'kyoto-tea-tour', host: 'omar', nightly: 6000, guest: 'alice', daysAhead: 42, nights: 1, status: BookingStatus.CANCELLED },
] as const;

const DEMO_CLEANING_FEE = 3000;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Adds the demo bookings that are missing. An existing one is never rewritten: it may have moved
 * on (paid, completed, cancelled) through the service, with its events, since the last start.
 */
export async function seedDemo(em: EntityManager, seededAt: Date = new Date()): Promise<void> {
  await insertMissing(
    em,
    Booking,
    DEMO_BOOKINGS.map((booking, index) => {
      const startsAt = demoStayStart(booking.daysAhead, seededAt);
      return {
        id: demoId('booking', booking.name),
        listingId: demoId('listing', booking.listing),
        guestId: demoId('user', booking.guest),
        startsAt,
        endsAt: new Date(startsAt.getTime() + booking.nights * DAY_MS - 4 * 60 * 60 * 1000),
        status: booking.status,
        hostId: demoId('user', booking.host),
        guests: 1,
        nights: booking.nights,
        totalAmount: booking.nights * booking.nightly + DEMO_CLEANING_FEE,
        currency: 'EUR',
        // The demo hold lasts until the day before its stay.
        holdExpiresAt: booking.status === BookingStatus.HELD ? new Date(startsAt.getTime() - DAY_MS) : null,
        createdAt: new Date(Date.UTC(2026, 0, 3, 0, index)),
        updatedAt: new Date(Date.UTC(2026, 0, 3, 0, index)),
      };
    }),
  );
}
