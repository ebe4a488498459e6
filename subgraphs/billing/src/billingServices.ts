import type { Logger, SubgraphAttachment, SubgraphRuntime } from '@booking/runtime';
import { LocalPaymentProvider } from './payments/LocalPaymentProvider';
import type { PaymentProvider } from './payments/PaymentProvider';

export interface BillingServices {
  readonly payments: PaymentProvider;
  /** Failed payments are warnings for on-call (a run of declines or provider outages). */
  readonly logger: Logger;
}

/** The local provider until a real one is configured (its interface is all billing relies on). */
export const paymentProvider: PaymentProvider = new LocalPaymentProvider();

export async function attachBillingServices(runtime: SubgraphRuntime): Promise<SubgraphAttachment<BillingServices>> {
  return { services: { payments: paymentProvider, logger: runtime.logger } };
}
