import {
  buildFederatedSchema,
  createSubgraphServer,
  type SubgraphConfig,
  type SubgraphDefinition,
  type SubgraphServer,
} from '@booking/runtime';
import type { GraphQLSchema } from 'graphql';
import { migrations } from '../migrations';
import { Listing } from './entities/Listing';
import { createLoaders, type CatalogContext, type CatalogLoaders } from './loaders';
import { ListingResolver } from './resolvers/ListingResolver';
import { listingReference } from './resolvers/listing.reference';
import { seedDemo } from './seed/demoSeed';

export function buildSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema<CatalogContext>({ resolvers: [ListingResolver], referenceResolvers: listingReference });
}

export const catalogSubgraph: SubgraphDefinition<CatalogLoaders> = {
  name: 'catalog',
  entities: [Listing],
  migrations,
  buildSchema,
  createLoaders,
  seedDemo,
};

export function createServer(config: SubgraphConfig): Promise<SubgraphServer> {
  return createSubgraphServer(catalogSubgraph, config);
}

export { Listing } from './entities/Listing';
