import { randomUUID } from 'node:crypto';
import { Conflict, PG_UNIQUE_VIOLATION, postgresErrorCode } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invoice, InvoiceStatus } from '../entities/Invoice';

export interface InvoiceRequest {
  bookingId: string;
  guestId: string;
  amount: { amount: number; currency: string };
}

export class InvoiceExists extends Conflict {
  constructor(bookingId: string) {
    super('INVOICE_EXISTS', `Booking ${bookingId} already has an invoice`, { bookingId });
  }
}

export class InvoiceService {
  constructor(private readonly em: EntityManager) {}

  async issue(request: InvoiceRequest): Promise<Invoice> {
    const invoice = this.em.create(Invoice, {
      id: randomUUID(),
      bookingId: request.bookingId,
      guestId: request.guestId,
      amountMinor: request.amount.amount,
      currency: request.amount.currency,
      status: InvoiceStatus.OPEN,
      createdAt: new Date(),
    });
    try {
      await this.em.persistAndFlush(invoice);
    } catch (error) {
      if (postgresErrorCode(error) === PG_UNIQUE_VIOLATION) throw new InvoiceExists(request.bookingId);
      throw error;
    }
    return invoice;
  }
}
