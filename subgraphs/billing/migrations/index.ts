import { EVENT_MIGRATIONS } from '@booking/runtime';
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000001CreateInvoices } from './Migration20261122000001CreateInvoices';
import { Migration20261122000002AddInvoiceGuest } from './Migration20261122000002AddInvoiceGuest';
import { Migration20261122000003PaymentsAndLedger } from './Migration20261122000003PaymentsAndLedger';
import { Migration20261122000004InvoiceHost } from './Migration20261122000004InvoiceHost';

/** Applied in this order; never edit one that has shipped, add a new one. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261122000001CreateInvoices', class: Migration20261122000001CreateInvoices },
  { name: 'Migration20261122000002AddInvoiceGuest', class: Migration20261122000002AddInvoiceGuest },
  ...EVENT_MIGRATIONS,
  { name: 'Migration20261122000003PaymentsAndLedger', class: Migration20261122000003PaymentsAndLedger },
  { name: 'Migration20261122000004InvoiceHost', class: Migration20261122000004InvoiceHost },
];
