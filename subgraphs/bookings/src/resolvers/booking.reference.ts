import { ListingReference, UserReference } from '../entities/references';
import type { BookingsContext } from '../loaders';

export const bookingReferences = {
  Booking: {
    __resolveReference(reference: { id: string }, context: BookingsContext) {
      return context.loaders.bookingById.load(reference.id);
    },
  },
  // Contributed fields resolve through loaders, so the reference is just the id.
  Listing: {
    __resolveReference(reference: { id: string }) {
      return ListingReference.of(reference.id);
    },
  },
  User: {
    __resolveReference(reference: { id: string }) {
      return UserReference.of(reference.id);
    },
  },
};
