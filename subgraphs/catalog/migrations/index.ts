import { EVENT_TABLES_MIGRATION } from '@booking/runtime';
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000001CreateListings } from './Migration20261122000001CreateListings';

/** Applied in this order; never edit one that has shipped, add a new one. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261122000001CreateListings', class: Migration20261122000001CreateListings },
  EVENT_TABLES_MIGRATION,
];
