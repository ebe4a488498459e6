import { defineSubgraph } from '@booking/runtime';
import { bookingInvalidations } from './events/invalidations';
import { migrations } from '../migrations';
import { attachBookingsServices, type BookingsServices } from './bookingsServices';
import { Booking } from './entities/Booking';
import { ListingSnapshot } from './entities/ListingSnapshot';
import { onBillingEvent, onCatalogEvent } from './events/handlers';
import { createLoaders, type BookingsLoaders } from './loaders';
import { BookingResolver, ListingBookingsResolver, UserBookingsResolver } from './resolvers/BookingResolver';
import { bookingReferences } from './resolvers/booking.reference';
import { BookingSubscriptions } from './resolvers/BookingSubscriptions';
import { bookingLiveUpdates } from './live/liveUpdates';
import { seedDemo } from './seed/demoSeed';

export const bookings = defineSubgraph<BookingsLoaders, BookingsServices>({
  name: 'bookings',
  entities: [Booking, ListingSnapshot],
  migrations,
  createLoaders,
  seedDemo,
  attach: attachBookingsServices,
  publishesEvents: true,
  liveUpdates: bookingLiveUpdates,
  invalidates: bookingInvalidations,
  consumes: [
    { stream: 'catalog', handler: onCatalogEvent },
    { stream: 'billing', handler: onBillingEvent },
  ],
  schema: {
    resolvers: [BookingResolver, ListingBookingsResolver, UserBookingsResolver, BookingSubscriptions],
    referenceResolvers: bookingReferences,
  },
});

export const { buildSchema, createServer } = bookings;
export { Booking, BookingStatus } from './entities/Booking';
