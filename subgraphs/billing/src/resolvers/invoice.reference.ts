import { visibleEntity } from '@booking/runtime';
import { BookingReference } from '../entities/BookingReference';
import type { BillingContext } from '../loaders';
import { maySeeInvoice } from '../services/invoiceAccess';

export const invoiceReferences = {
  // The same rule as `invoice(id)`: the router asks with the viewer's identity, never its own.
  Invoice: {
    async __resolveReference(reference: { id: string }, context: BillingContext) {
      const invoice = await context.loaders.invoiceById.load(reference.id);
      return visibleEntity('invoice', invoice, (found) => maySeeInvoice(context.viewer, found));
    },
  },
  // Booking.invoice resolves through a loader, so the reference is just the id.
  Booking: {
    __resolveReference(reference: { id: string }) {
      return BookingReference.of(reference.id);
    },
  },
};
