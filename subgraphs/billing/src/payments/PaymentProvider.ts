/** A card as the client sends it; never stored (only the provider's reference is). */
export interface Card {
  readonly number: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly cvc: string;
}

export interface ChargeRequest {
  readonly amount: number;
  readonly currency: string;
  readonly card: Card;
  /** Passed through so the provider, too, charges at most once per key. */
  readonly idempotencyKey: string;
}

export type ChargeOutcome =
  | { readonly kind: 'succeeded'; readonly reference: string }
  | { readonly kind: 'declined'; readonly reason: string };

/** The provider could not answer; nothing was charged and the same request may be retried. */
export class PaymentProviderUnavailable extends Error {}

export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  refund(reference: string, amount: number, currency: string): Promise<void>;
}
