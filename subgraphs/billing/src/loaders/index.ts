import { loaderById, loaderByUniqueKey, type SubgraphContext } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import type { BillingServices } from '../billingServices';
import { Invoice } from '../entities/Invoice';
import { InvoiceLine } from '../entities/InvoiceLine';

export function createLoaders(em: EntityManager) {
  return {
    invoiceById: loaderById(em, Invoice),
    invoiceByBookingId: loaderByUniqueKey(em, Invoice, 'bookingId'),
    linesByInvoiceId: new DataLoader<string, InvoiceLine[]>(async (ids) => {
      const lines = await em.find(InvoiceLine, { invoiceId: { $in: [...ids] } }, { orderBy: { invoiceId: 'asc', position: 'asc' } });
      return ids.map((id) => lines.filter((line) => line.invoiceId === id));
    }),
  };
}

export type BillingLoaders = ReturnType<typeof createLoaders>;
export type BillingContext = SubgraphContext<BillingLoaders, BillingServices>;
