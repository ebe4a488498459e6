import type { SubgraphAttachment } from '@booking/runtime';
import { LocalPaymentProvider } from './payments/LocalPaymentProvider';
import type { PaymentProvider } from './payments/PaymentProvider';

export interface BillingServices {
  readonly payments: PaymentProvider;
}

/** The local provider until a real one is configured (its interface is all billing relies on). */
export const paymentProvider: PaymentProvider = new LocalPaymentProvider();

export async function attachBillingServices(): Promise<SubgraphAttachment<BillingServices>> {
  return { services: { payments: paymentProvider } };
}
