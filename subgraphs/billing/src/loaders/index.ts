import { loaderById, loaderByUniqueKey, type SubgraphContext } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invoice } from '../entities/Invoice';

export function createLoaders(em: EntityManager) {
  return {
    invoiceById: loaderById(em, Invoice),
    invoiceByBookingId: loaderByUniqueKey(em, Invoice, 'bookingId'),
  };
}

export type BillingLoaders = ReturnType<typeof createLoaders>;
export type BillingContext = SubgraphContext<BillingLoaders>;
