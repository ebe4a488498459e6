import type { EventEnvelope, LiveUpdate } from '@booking/runtime';

export const INVOICE_UPDATED = 'INVOICE_UPDATED';

export function invoiceLiveUpdates(event: EventEnvelope): LiveUpdate[] {
  if (event.type !== 'invoice.issued' && event.type !== 'invoice.settled') return [];
  const { invoiceId } = event.payload as { invoiceId: string };
  return [{ topic: INVOICE_UPDATED, id: invoiceId, payload: { invoiceId, eventId: event.id } }];
}
