import { createHash, randomUUID } from 'node:crypto';
import {
  DomainError,
  Forbidden,
  hasScope,
  IdempotencyKeyReused,
  NotFound,
  PG_UNIQUE_VIOLATION,
  postgresErrorCode,
  type Logger,
  type Viewer,
} from '@booking/runtime';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invoice, InvoiceStatus } from '../entities/Invoice';
import { Payment, PaymentStatus } from '../entities/Payment';
import { post } from '../ledger/Ledger';
import { PaymentProviderUnavailable, type Card, type PaymentProvider } from '../payments/PaymentProvider';
import { InvoiceService } from './InvoiceService';

export class PaymentDeclined extends DomainError {
  readonly code = 'PAYMENT_DECLINED';
  constructor(payment: Payment) {
    super(`The card was declined (${payment.declineReason})`, { paymentId: payment.id, reason: payment.declineReason });
  }
}

export class PaymentUnavailable extends DomainError {
  readonly code = 'PAYMENT_PROVIDER_UNAVAILABLE';
  constructor() {
    super('The payment provider did not answer; nothing was charged, retry with the same idempotencyKey');
  }
}

export class InvoiceNotPayable extends DomainError {
  readonly code = 'INVOICE_NOT_PAYABLE';
  constructor(invoice: Invoice) {
    super(`Invoice ${invoice.id} is ${invoice.status}`, { status: invoice.status });
  }
}


function cardHash(card: Card): string {
  // Only a hash of the card, to tell a retry from a new attempt with the same key.
  return createHash('sha256').update(`${card.number}|${card.expMonth}|${card.expYear}`).digest('hex');
}

/**
 * Pays an invoice at most once. The invoice row is locked for the attempt, so concurrent
 * retries with one key queue up and the later ones return the first attempt's outcome; a
 * unique index allows one successful payment per invoice whatever the keys.
 */
export class PaymentService {
  constructor(
    private readonly em: EntityManager,
    private readonly provider: PaymentProvider,
    private readonly logger: Logger,
  ) {}

  async pay(invoiceId: string, viewer: Viewer | null, idempotencyKey: string, card: Card): Promise<Payment> {
    const outcome = await this.em.transactional(async (tx) => {
      const invoice = await tx.findOne(Invoice, { id: invoiceId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!invoice || !viewer || (invoice.guestId !== viewer.userId && !hasScope(viewer, 'admin'))) {
        if (!invoice) throw new NotFound('invoice', invoiceId);
        throw new Forbidden('only the guest of this invoice or an admin may pay it');
      }
      const hash = cardHash(card);
      const earlier = await tx.findOne(Payment, { invoiceId, idempotencyKey });
      if (earlier) {
        if (earlier.requestHash !== hash) throw new IdempotencyKeyReused('card on this invoice');
        return earlier;
      }
      if (invoice.status !== InvoiceStatus.OPEN) throw new InvoiceNotPayable(invoice);
      let charged;
      try {
        charged = await this.provider.charge({ amount: invoice.amountMinor, currency: invoice.currency, card, idempotencyKey });
      } catch (error) {
        if (error instanceof PaymentProviderUnavailable) {
          // Nothing was charged; the client retries with the same key.
          this.logger.warn({ invoiceId, code: 'PAYMENT_PROVIDER_UNAVAILABLE', reason: error.message }, 'payment failed: the provider did not answer');
          throw new PaymentUnavailable();
        }
        throw error;
      }
      const payment = tx.create(Payment, {
        id: randomUUID(),
        invoiceId,
        idempotencyKey,
        requestHash: hash,
        amountMinor: invoice.amountMinor,
        currency: invoice.currency,
        status: charged.kind === 'succeeded' ? PaymentStatus.SUCCEEDED : PaymentStatus.DECLINED,
        declineReason: charged.kind === 'declined' ? charged.reason : null,
        providerReference: charged.kind === 'succeeded' ? charged.reference : null,
        createdAt: new Date(),
      });
      if (charged.kind === 'succeeded') {
        invoice.status = InvoiceStatus.PAID;
        invoice.updatedAt = new Date();
        await post(tx, `payment ${payment.id} of invoice ${invoice.id}`, invoice.currency, [
          { account: 'cash', debit: invoice.amountMinor },
          { account: 'accounts_receivable', credit: invoice.amountMinor },
        ]);
      }
      await tx.flush();
      if (charged.kind === 'succeeded') await new InvoiceService(tx).announce(tx, invoice, invoice.amountMinor);
      return payment;
    }).catch((error: unknown) => {
      if (postgresErrorCode(error) === PG_UNIQUE_VIOLATION) throw new InvoiceNotPayable(Object.assign(new Invoice(), { id: invoiceId, status: InvoiceStatus.PAID }));
      throw error;
    });
    // A decline is recorded (so a retry with the key repeats it) and reported as an error. Never
    // the card or the caller in the log: the invoice and payment ids lead to them.
    if (outcome.status === PaymentStatus.DECLINED) {
      this.logger.warn(
        { invoiceId, paymentId: outcome.id, code: 'PAYMENT_DECLINED', reason: outcome.declineReason },
        'payment failed: the card was declined',
      );
      throw new PaymentDeclined(outcome);
    }
    return outcome;
  }
}
