import { loaderById, loaderOfMany, type SubgraphContext } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { BookingsServices } from '../bookingsServices';
import { Booking } from '../entities/Booking';

export function createLoaders(em: EntityManager) {
  return {
    bookingById: loaderById(em, Booking),
    bookingsByListingId: loaderOfMany(em, Booking, 'listingId'),
    bookingsByGuestId: loaderOfMany(em, Booking, 'guestId'),
  };
}

export type BookingsLoaders = ReturnType<typeof createLoaders>;
export type BookingsContext = SubgraphContext<BookingsLoaders, BookingsServices>;
