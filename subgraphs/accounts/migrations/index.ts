import { EVENT_MIGRATIONS } from '@booking/runtime';
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000001CreateUsers } from './Migration20261122000001CreateUsers';
import { Migration20261122000002AddAuthentication } from './Migration20261122000002AddAuthentication';
import { Migration20261204000001SealSigningKeys } from './Migration20261204000001SealSigningKeys';
import { Migration20261204000002SoftDeleteUsers } from './Migration20261204000002SoftDeleteUsers';

/** Applied in this order; never edit one that has shipped, add a new one. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261122000001CreateUsers', class: Migration20261122000001CreateUsers },
  { name: 'Migration20261122000002AddAuthentication', class: Migration20261122000002AddAuthentication },
  ...EVENT_MIGRATIONS,
  { name: 'Migration20261204000001SealSigningKeys', class: Migration20261204000001SealSigningKeys },
  { name: 'Migration20261204000002SoftDeleteUsers', class: Migration20261204000002SoftDeleteUsers },
];
