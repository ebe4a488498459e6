import { hasScope, loaderById, loaderOfPages, type SubgraphContext, type Viewer } from '@booking/runtime';
import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { BookingsServices } from '../bookingsServices';
import { Booking } from '../entities/Booking';

/** Bookings of a listing the viewer may see: their own stays and their listings' (admins: all). */
function visibleToViewer(viewer: Viewer | null): FilterQuery<Booking> {
  if (viewer && hasScope(viewer, 'admin')) return {};
  if (!viewer) return { id: { $in: [] } };
  return { $or: [{ guestId: viewer.userId }, { hostId: viewer.userId }] };
}

export function createLoaders(em: EntityManager, viewer: Viewer | null) {
  return {
    bookingById: loaderById(em, Booking),
    /** Pages of a listing's bookings, narrowed to what the viewer may see (in SQL, so pages are full). */
    bookingPagesByListingId: loaderOfPages(em, Booking, 'listingId', visibleToViewer(viewer)),
    /** Pages of a guest's bookings; `User.bookings*` lets only the guest and admins ask. */
    bookingPagesByGuestId: loaderOfPages(em, Booking, 'guestId'),
  };
}

export type BookingsLoaders = ReturnType<typeof createLoaders>;
export type BookingsContext = SubgraphContext<BookingsLoaders, BookingsServices>;
