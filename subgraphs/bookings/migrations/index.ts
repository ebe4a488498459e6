import { EVENT_MIGRATIONS } from '@booking/runtime';
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000001CreateBookings } from './Migration20261122000001CreateBookings';
import { Migration20261122000002BookingSaga } from './Migration20261122000002BookingSaga';

/** Applied in this order; never edit one that has shipped, add a new one. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261122000001CreateBookings', class: Migration20261122000001CreateBookings },
  ...EVENT_MIGRATIONS,
  { name: 'Migration20261122000002BookingSaga', class: Migration20261122000002BookingSaga },
];
