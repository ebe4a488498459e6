import {
  buildFederatedSchema,
  createSubgraphServer,
  type SubgraphConfig,
  type SubgraphDefinition,
  type SubgraphServer,
} from '@booking/runtime';
import type { GraphQLSchema } from 'graphql';
import { migrations } from '../migrations';
import { Booking } from './entities/Booking';
import { createLoaders, type BookingsContext, type BookingsLoaders } from './loaders';
import { BookingResolver, ListingBookingsResolver, UserBookingsResolver } from './resolvers/BookingResolver';
import { bookingReferences } from './resolvers/booking.reference';
import { seedDemo } from './seed/demoSeed';

export function buildSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema<BookingsContext>({
    resolvers: [BookingResolver, ListingBookingsResolver, UserBookingsResolver],
    referenceResolvers: bookingReferences,
  });
}

export const bookingsSubgraph: SubgraphDefinition<BookingsLoaders> = {
  name: 'bookings',
  entities: [Booking],
  migrations,
  buildSchema,
  createLoaders,
  seedDemo,
};

export function createServer(config: SubgraphConfig): Promise<SubgraphServer> {
  return createSubgraphServer(bookingsSubgraph, config);
}

export { Booking, BookingStatus } from './entities/Booking';
