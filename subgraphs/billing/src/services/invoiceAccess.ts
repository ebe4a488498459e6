import { hasScope, type Viewer } from '@booking/runtime';
import type { Invoice } from '../entities/Invoice';

/**
 * Who may see an invoice: its guest, the host of the booked listing, and admins. The one rule
 * behind `invoice(id)`, `Booking.invoice` and `_entities`, so no path shows more than another.
 */
export function maySeeInvoice(viewer: Viewer | null, invoice: Invoice): boolean {
  if (!viewer) return false;
  return invoice.guestId === viewer.userId || invoice.hostId === viewer.userId || hasScope(viewer, 'admin');
}
