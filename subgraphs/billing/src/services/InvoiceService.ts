import { randomUUID } from 'node:crypto';
import {
  Conflict,
  PG_UNIQUE_VIOLATION,
  postgresErrorCode,
  recordEvent,
  type BookingHeldV1,
  type BookingStatusChangedV1,
} from '@booking/runtime';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invoice, InvoiceStatus } from '../entities/Invoice';
import { InvoiceLine } from '../entities/InvoiceLine';
import { Payment, PaymentStatus } from '../entities/Payment';
import { Refund } from '../entities/Refund';
import { post } from '../ledger/Ledger';
import { refundAmount, refundShare } from '../payments/cancellationPolicy';
import type { PaymentProvider } from '../payments/PaymentProvider';

export interface LineRequest {
  description: string;
  quantity: number;
  unitMinor: number;
}

export interface InvoiceRequest {
  /** Fixed ids are for demo data; otherwise a new one is made. */
  id?: string;
  bookingId: string;
  guestId: string;
  currency: string;
  lines: readonly LineRequest[];
  listingId?: string | null;
  hostId?: string | null;
  stayStartsAt?: Date | null;
}

export class InvoiceExists extends Conflict {
  constructor(bookingId: string) {
    super('INVOICE_EXISTS', `Booking ${bookingId} already has an invoice`, { bookingId });
  }
}

function linesOf(held: BookingHeldV1): LineRequest[] {
  const lines: LineRequest[] = [{ description: 'Nights', quantity: held.price.nights, unitMinor: held.price.nightly.amount }];
  if (held.price.cleaningFee.amount > 0) lines.push({ description: 'Cleaning fee', quantity: 1, unitMinor: held.price.cleaningFee.amount });
  return lines;
}

export class InvoiceService {
  constructor(private readonly em: EntityManager) {}

  /** Issues an invoice (and its ledger entry and invoice.issued event) in one transaction. */
  async issue(request: InvoiceRequest): Promise<Invoice> {
    try {
      return await this.em.transactional((tx) => this.issueIn(tx, request));
    } catch (error) {
      if (postgresErrorCode(error) === PG_UNIQUE_VIOLATION) throw new InvoiceExists(request.bookingId);
      throw error;
    }
  }

  /** bookings → billing: a held booking is invoiced from the price the event carries. */
  async issueForBooking(tx: EntityManager, held: BookingHeldV1): Promise<void> {
    if (await tx.findOne(Invoice, { bookingId: held.bookingId })) return;
    await this.issueIn(tx, {
      bookingId: held.bookingId,
      guestId: held.guestId,
      currency: held.price.total.currency,
      lines: linesOf(held),
      listingId: held.listingId,
      hostId: held.hostId,
      stayStartsAt: new Date(held.startsAt),
    });
  }

  /**
   * bookings → billing: an invoice written before billing was told the host (booking.held
   * without hostId, or a manual issueInvoice) learns it from the booking's next status event,
   * so the host may see it from then on (maySeeInvoice).
   */
  async learnHost(tx: EntityManager, change: BookingStatusChangedV1): Promise<void> {
    if (!change.hostId) return;
    await tx.nativeUpdate(Invoice, { bookingId: change.bookingId, hostId: null }, { hostId: change.hostId, listingId: change.listingId });
  }

  /** bookings → billing: an expired or cancelled booking voids or refunds its invoice. */
  async settleForBooking(tx: EntityManager, change: BookingStatusChangedV1, provider: PaymentProvider, now: Date = new Date()): Promise<void> {
    if (change.status !== 'EXPIRED' && change.status !== 'CANCELLED') return;
    const invoice = await tx.findOne(Invoice, { bookingId: change.bookingId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!invoice) return;
    if (invoice.status === InvoiceStatus.OPEN) {
      invoice.status = InvoiceStatus.VOID;
      invoice.updatedAt = now;
      await post(tx, `void invoice ${invoice.id}`, invoice.currency, [
        { account: 'unearned_revenue', debit: invoice.amountMinor },
        { account: 'accounts_receivable', credit: invoice.amountMinor },
      ]);
      await tx.flush();
      await this.announce(tx, invoice, invoice.amountMinor);
      return;
    }
    if (invoice.status !== InvoiceStatus.PAID) return;
    // A hold that expired although paid (payment raced the expiry) is refunded in full.
    const share = change.status === 'EXPIRED' ? 1 : refundShare(change.cancelledBy ?? 'GUEST', now, invoice.stayStartsAt ?? now);
    const amount = refundAmount(invoice.amountMinor, share);
    const payment = await tx.findOneOrFail(Payment, { invoiceId: invoice.id, status: PaymentStatus.SUCCEEDED });
    if (amount > 0) {
      await provider.refund(payment.providerReference ?? '', amount, invoice.currency);
      tx.create(Refund, {
        id: randomUUID(),
        invoiceId: invoice.id,
        paymentId: payment.id,
        amountMinor: amount,
        currency: invoice.currency,
        reason: change.status === 'EXPIRED' ? 'hold expired' : `cancelled by ${(change.cancelledBy ?? 'GUEST').toLowerCase()}`,
        createdAt: now,
      });
      await post(tx, `refund invoice ${invoice.id}`, invoice.currency, [
        { account: 'unearned_revenue', debit: amount },
        { account: 'cash', credit: amount },
      ]);
    }
    invoice.refundedMinor = amount;
    invoice.status = amount === invoice.amountMinor ? InvoiceStatus.REFUNDED : amount > 0 ? InvoiceStatus.PARTIALLY_REFUNDED : InvoiceStatus.PAID;
    invoice.updatedAt = now;
    await tx.flush();
    if (amount > 0) await this.announce(tx, invoice, amount);
  }

  async announce(tx: EntityManager, invoice: Invoice, amount: number): Promise<void> {
    await recordEvent(tx, 'billing', 'invoice.settled', {
      invoiceId: invoice.id,
      bookingId: invoice.bookingId,
      status: invoice.status as 'PAID' | 'VOID' | 'REFUNDED' | 'PARTIALLY_REFUNDED',
      amount: { amount, currency: invoice.currency },
    });
  }

  private async issueIn(tx: EntityManager, request: InvoiceRequest): Promise<Invoice> {
    const total = request.lines.reduce((sum, line) => sum + line.quantity * line.unitMinor, 0);
    const invoice = tx.create(Invoice, {
      id: request.id ?? randomUUID(),
      bookingId: request.bookingId,
      guestId: request.guestId,
      listingId: request.listingId ?? null,
      hostId: request.hostId ?? null,
      stayStartsAt: request.stayStartsAt ?? null,
      amountMinor: total,
      currency: request.currency,
      status: InvoiceStatus.OPEN,
      refundedMinor: 0,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    // Lines refer to the invoice by a plain column, so the invoice row must exist first.
    await tx.flush();
    request.lines.forEach((line, index) =>
      tx.create(InvoiceLine, {
        id: randomUUID(),
        invoiceId: invoice.id,
        position: index + 1,
        description: line.description,
        quantity: line.quantity,
        unitMinor: line.unitMinor,
        amountMinor: line.quantity * line.unitMinor,
      }),
    );
    await tx.flush();
    await post(tx, `issue invoice ${invoice.id}`, invoice.currency, [
      { account: 'accounts_receivable', debit: total },
      { account: 'unearned_revenue', credit: total },
    ]);
    await recordEvent(tx, 'billing', 'invoice.issued', {
      invoiceId: invoice.id,
      bookingId: invoice.bookingId,
      guestId: request.guestId,
      total: { amount: total, currency: invoice.currency },
    });
    return invoice;
  }
}
