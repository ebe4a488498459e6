import type { EventEnvelope, EventHandler } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { paymentProvider } from '../billingServices';
import { InvoiceService } from '../services/InvoiceService';

/** bookings → billing: hold → invoice; any status change → the invoice's host if it lacked one; expiry or cancellation → void or refund. */
export const onBookingEvent: EventHandler = async (event: EventEnvelope, tx: EntityManager) => {
  const invoices = new InvoiceService(tx);
  if (event.type === 'booking.held') {
    await invoices.issueForBooking(tx, (event as EventEnvelope<'bookings', 'booking.held'>).payload);
  } else if (event.type === 'booking.status_changed') {
    const change = (event as EventEnvelope<'bookings', 'booking.status_changed'>).payload;
    await invoices.learnHost(tx, change);
    await invoices.settleForBooking(tx, change, paymentProvider);
  }
};
