import { EVENT_MIGRATIONS } from '@booking/runtime';
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000001CreateListings } from './Migration20261122000001CreateListings';
import { Migration20261122000002ListingPricingAndPublishing } from './Migration20261122000002ListingPricingAndPublishing';
import { Migration20261122000003SearchAndCategories } from './Migration20261122000003SearchAndCategories';

/** Applied in this order; never edit one that has shipped, add a new one. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261122000001CreateListings', class: Migration20261122000001CreateListings },
  ...EVENT_MIGRATIONS,
  { name: 'Migration20261122000002ListingPricingAndPublishing', class: Migration20261122000002ListingPricingAndPublishing },
  { name: 'Migration20261122000003SearchAndCategories', class: Migration20261122000003SearchAndCategories },
];
