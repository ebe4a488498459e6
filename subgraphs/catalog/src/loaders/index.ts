import { loaderById, type SubgraphContext } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Category } from '../entities/Category';
import { Listing } from '../entities/Listing';

export function createLoaders(em: EntityManager) {
  return { listingById: loaderById(em, Listing), categoryById: loaderById(em, Category) };
}

export type CatalogLoaders = ReturnType<typeof createLoaders>;
export type CatalogContext = SubgraphContext<CatalogLoaders>;
