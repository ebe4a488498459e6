import { demoId } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invoice, InvoiceStatus } from '../entities/Invoice';

/** Amounts are nights × the demo listing's nightly price (catalog's seed). */
export const DEMO_INVOICES = [
  { booking: 'alice-alfama', guest: 'alice', amount: 3 * 9500, status: InvoiceStatus.PAID },
  { booking: 'bruno-kreuzberg', guest: 'bruno', amount: 5 * 12000, status: InvoiceStatus.OPEN },
  { booking: 'chen-machiya', guest: 'chen', amount: 4 * 21000, status: InvoiceStatus.PAID },
  { booking: 'alice-tea', guest: 'alice', amount: 6000, status: InvoiceStatus.VOID },
] as const;

export async function seedDemo(em: EntityManager): Promise<void> {
  await em.upsertMany(
    Invoice,
    DEMO_INVOICES.map((invoice, index) => ({
      id: demoId('invoice', invoice.booking),
      bookingId: demoId('booking', invoice.booking),
      guestId: demoId('user', invoice.guest),
      amountMinor: invoice.amount,
      currency: 'EUR',
      status: invoice.status,
      createdAt: new Date(Date.UTC(2026, 0, 4, 0, index)),
    })),
  );
}
