import { createHash } from 'node:crypto';
import { PaymentProviderUnavailable, type ChargeOutcome, type ChargeRequest, type PaymentProvider } from './PaymentProvider';

/** Test cards, as payment providers document them: the outcome depends only on the number. */
export const TEST_CARDS = {
  succeeds: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  transientFailure: '4000000000000119',
} as const;

/**
 * A deterministic local provider for development and tests. It keeps no state, so the
 * at-most-once guarantee rests on billing's own payments table, as it should.
 */
export class LocalPaymentProvider implements PaymentProvider {
  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    const { number, expMonth, expYear } = request.card;
    if (number === TEST_CARDS.transientFailure) throw new PaymentProviderUnavailable('card processor timed out');
    if (number === TEST_CARDS.declined) return { kind: 'declined', reason: 'card_declined' };
    if (number === TEST_CARDS.insufficientFunds) return { kind: 'declined', reason: 'insufficient_funds' };
    const expiry = new Date(Date.UTC(expYear, expMonth, 1));
    if (expiry.getTime() <= Date.now()) return { kind: 'declined', reason: 'expired_card' };
    if (number !== TEST_CARDS.succeeds) return { kind: 'declined', reason: 'unknown_test_card' };
    const reference = createHash('sha256').update(`${request.idempotencyKey}:${request.amount}:${request.currency}`).digest('hex');
    return { kind: 'succeeded', reference: `local_${reference.slice(0, 24)}` };
  }

  async refund(): Promise<void> {
    // Always succeeds locally.
  }
}
