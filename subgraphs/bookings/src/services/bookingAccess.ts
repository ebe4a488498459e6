import { hasScope, type Viewer } from '@booking/runtime';
import type { Booking } from '../entities/Booking';

/**
 * Who may see a booking: its guest, the host of its listing, and admins. The one rule behind
 * `booking(id)`, `Listing.bookings` and `_entities`, so no path shows more than another.
 */
export function maySeeBooking(viewer: Viewer | null, booking: Booking): boolean {
  if (!viewer) return false;
  return viewer.userId === booking.guestId || viewer.userId === booking.hostId || hasScope(viewer, 'admin');
}
