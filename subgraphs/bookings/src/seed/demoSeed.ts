import { demoId } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Booking, BookingStatus } from '../entities/Booking';

export const DEMO_BOOKINGS = [
  { name: 'alice-alfama', listing: 'alfama-loft', guest: 'alice', from: '2026-12-10', nights: 3, status: BookingStatus.CONFIRMED },
  { name: 'bruno-kreuzberg', listing: 'kreuzberg-flat', guest: 'bruno', from: '2026-12-20', nights: 5, status: BookingStatus.HELD },
  { name: 'chen-machiya', listing: 'kyoto-machiya', guest: 'chen', from: '2027-01-05', nights: 4, status: BookingStatus.CONFIRMED },
  { name: 'alice-tea', listing: 'kyoto-tea-tour', guest: 'alice', from: '2027-01-07', nights: 1, status: BookingStatus.CANCELLED },
] as const;

const DAY_MS = 24 * 60 * 60 * 1000;

export async function seedDemo(em: EntityManager): Promise<void> {
  await em.upsertMany(
    Booking,
    DEMO_BOOKINGS.map((booking, index) => {
      const startsAt = new Date(`${booking.from}T15:00:00Z`);
      return {
        id: demoId('booking', booking.name),
        listingId: demoId('listing', booking.listing),
        guestId: demoId('user', booking.guest),
        startsAt,
        endsAt: new Date(startsAt.getTime() + booking.nights * DAY_MS - 4 * 60 * 60 * 1000),
        status: booking.status,
        createdAt: new Date(Date.UTC(2026, 0, 3, 0, index)),
      };
    }),
  );
}
