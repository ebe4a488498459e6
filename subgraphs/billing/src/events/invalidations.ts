import type { EntityReference, EventEnvelope, InvoiceIssuedV1, InvoiceSettledV1 } from '@booking/runtime';

/** An invoice issued or settled: the invoice, and its booking (whose `invoice` field billing serves). */
export function invoiceInvalidations(event: EventEnvelope): EntityReference[] {
  if (event.type !== 'invoice.issued' && event.type !== 'invoice.settled') return [];
  const payload = event.payload as InvoiceIssuedV1 | InvoiceSettledV1;
  return [
    { typename: 'Invoice', key: { id: payload.invoiceId } },
    { typename: 'Booking', key: { id: payload.bookingId } },
  ];
}
