import { defineSubgraph } from '@booking/runtime';
import { migrations } from '../migrations';
import { Listing } from './entities/Listing';
import { createLoaders, type CatalogLoaders } from './loaders';
import { ListingResolver } from './resolvers/ListingResolver';
import { listingReference } from './resolvers/listing.reference';
import { seedDemo } from './seed/demoSeed';

export const catalog = defineSubgraph<CatalogLoaders>({
  name: 'catalog',
  entities: [Listing],
  migrations,
  createLoaders,
  seedDemo,
  publishesEvents: true,
  schema: { resolvers: [ListingResolver], referenceResolvers: listingReference },
});

export const { buildSchema, createServer } = catalog;
export { Listing } from './entities/Listing';
