import { defineSubgraph } from '@booking/runtime';
import { catalogInvalidations } from './events/invalidations';
import { migrations } from '../migrations';
import { Listing } from './entities/Listing';
import { createLoaders, type CatalogLoaders } from './loaders';
import { Category } from './entities/Category';
import { onBookingEvent } from './events/handlers';
import { ListingResolver } from './resolvers/ListingResolver';
import { SearchResolver } from './resolvers/SearchResolver';
import { AvailabilitySubscriptions } from './resolvers/AvailabilitySubscriptions';
import { availabilityLiveUpdates } from './live/availability';
import { listingReference } from './resolvers/listing.reference';
import { seedDemo } from './seed/demoSeed';

export const catalog = defineSubgraph<CatalogLoaders>({
  name: 'catalog',
  entities: [Listing, Category],
  migrations,
  createLoaders,
  seedDemo,
  publishesEvents: true,
  consumes: [{ stream: 'bookings', handler: onBookingEvent }],
  liveUpdates: availabilityLiveUpdates,
  invalidates: catalogInvalidations,
  schema: { resolvers: [ListingResolver, SearchResolver, AvailabilitySubscriptions], referenceResolvers: listingReference },
});

export const { buildSchema, createServer } = catalog;
export { Listing } from './entities/Listing';
