import { demoId, demoStayStart } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invoice, InvoiceStatus } from '../entities/Invoice';
import { Payment, PaymentStatus } from '../entities/Payment';
import { post } from '../ledger/Ledger';
import { InvoiceService } from '../services/InvoiceService';

/** Nights × the demo listing's nightly price, plus its 30.00 cleaning fee (catalog's seed). */
export const DEMO_INVOICES = [
  { booking: 'alice-alfama', guest: 'alice', host: 'hana', listing: 'alfama-loft', nights: 3, nightly: 9500, daysAhead: 14, status: InvoiceStatus.PAID },
  { booking: 'bruno-kreuzberg', guest: 'bruno', host: 'omar', listing: 'kreuzberg-flat', nights: 5, nightly: 12000, daysAhead: 24, status: InvoiceStatus.OPEN },
  { booking: 'chen-machiya', guest: 'chen', host: 'hana', listing: 'kyoto-machiya', nights: 4, nightly: 21000, daysAhead: 40, status: InvoiceStatus.PAID },
  { booking: 'alice-tea', guest: 'alice', host: 'omar', listing: 'kyoto-tea-tour', nights: 1, nightly: 6000, daysAhead: 42, status: InvoiceStatus.VOID },
] as const;

/**
 * Demo invoices go through the same service as real ones (lines, ledger); existing ones are kept,
 * except that one seeded before it carried its host gets the host (and listing) it lacks, so the
 * demo hosts see the invoices of their listings as booking.held would have told billing.
 */
export async function seedDemo(em: EntityManager, seededAt: Date = new Date()): Promise<void> {
  for (const demo of DEMO_INVOICES) {
    const id = demoId('invoice', demo.booking);
    const hostId = demoId('user', demo.host);
    const listingId = demoId('listing', demo.listing);
    const existing = await em.fork().findOne(Invoice, { id });
    if (existing) {
      if (!existing.hostId) await em.fork().nativeUpdate(Invoice, { id, hostId: null }, { hostId, listingId });
      continue;
    }
    const invoice = await new InvoiceService(em.fork()).issue({
      id,
      bookingId: demoId('booking', demo.booking),
      guestId: demoId('user', demo.guest),
      listingId,
      hostId,
      currency: 'EUR',
      lines: [
        { description: 'Nights', quantity: demo.nights, unitMinor: demo.nightly },
        { description: 'Cleaning fee', quantity: 1, unitMinor: 3000 },
      ],
      stayStartsAt: demoStayStart(demo.daysAhead, seededAt),
    });
    if (demo.status === InvoiceStatus.OPEN) continue;
    await em.fork().transactional(async (tx) => {
      const row = await tx.findOneOrFail(Invoice, { id: invoice.id });
      row.status = demo.status;
      if (demo.status === InvoiceStatus.PAID) {
        tx.create(Payment, {
          id: demoId('payment', demo.booking),
          invoiceId: row.id,
          idempotencyKey: 'demo',
          requestHash: 'demo',
          amountMinor: row.amountMinor,
          currency: 'EUR',
          status: PaymentStatus.SUCCEEDED,
          providerReference: 'local_demo',
          createdAt: new Date(),
        });
        await post(tx, `payment of demo invoice ${row.id}`, 'EUR', [
          { account: 'cash', debit: row.amountMinor },
          { account: 'accounts_receivable', credit: row.amountMinor },
        ]);
      } else {
        await post(tx, `void demo invoice ${row.id}`, 'EUR', [
          { account: 'unearned_revenue', debit: row.amountMinor },
          { account: 'accounts_receivable', credit: row.amountMinor },
        ]);
      }
    });
  }
}
