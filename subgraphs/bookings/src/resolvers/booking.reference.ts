import { visibleEntity } from '@booking/runtime';
import { ListingReference, UserReference } from '../entities/references';
import type { BookingsContext } from '../loaders';
import { maySeeBooking } from '../services/bookingAccess';

export const bookingReferences = {
  // The same rule as `booking(id)`: the router asks with the viewer's identity, never its own.
  Booking: {
    async __resolveReference(reference: { id: string }, context: BookingsContext) {
      const booking = await context.loaders.bookingById.load(reference.id);
      return visibleEntity('booking', booking, (found) => maySeeBooking(context.viewer, found));
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
