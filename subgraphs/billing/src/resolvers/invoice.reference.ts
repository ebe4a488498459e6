import { BookingReference } from '../entities/BookingReference';
import type { BillingContext } from '../loaders';

export const invoiceReferences = {
  Invoice: {
    __resolveReference(reference: { id: string }, context: BillingContext) {
      return context.loaders.invoiceById.load(reference.id);
    },
  },
  // Booking.invoice resolves through a loader, so the reference is just the id.
  Booking: {
    __resolveReference(reference: { id: string }) {
      return BookingReference.of(reference.id);
    },
  },
};
