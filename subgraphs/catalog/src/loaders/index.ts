import { loaderById, type SubgraphContext } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Listing } from '../entities/Listing';

export function createLoaders(em: EntityManager) {
  return { listingById: loaderById(em, Listing) };
}

export type CatalogLoaders = ReturnType<typeof createLoaders>;
export type CatalogContext = SubgraphContext<CatalogLoaders>;
