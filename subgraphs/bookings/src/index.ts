import { defineSubgraph } from '@booking/runtime';
import { migrations } from '../migrations';
import { Booking } from './entities/Booking';
import { createLoaders, type BookingsLoaders } from './loaders';
import { BookingResolver, ListingBookingsResolver, UserBookingsResolver } from './resolvers/BookingResolver';
import { bookingReferences } from './resolvers/booking.reference';
import { seedDemo } from './seed/demoSeed';

export const bookings = defineSubgraph<BookingsLoaders>({
  name: 'bookings',
  entities: [Booking],
  migrations,
  createLoaders,
  seedDemo,
  schema: {
    resolvers: [BookingResolver, ListingBookingsResolver, UserBookingsResolver],
    referenceResolvers: bookingReferences,
  },
});

export const { buildSchema, createServer } = bookings;
export { Booking, BookingStatus } from './entities/Booking';
