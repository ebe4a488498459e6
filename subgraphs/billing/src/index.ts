import { defineSubgraph } from '@booking/runtime';
import { invoiceInvalidations } from './events/invalidations';
import { migrations } from '../migrations';
import { attachBillingServices, type BillingServices } from './billingServices';
import { Invoice } from './entities/Invoice';
import { InvoiceLine } from './entities/InvoiceLine';
import { Payment } from './entities/Payment';
import { Refund } from './entities/Refund';
import { onBookingEvent } from './events/handlers';
import { createLoaders, type BillingLoaders } from './loaders';
import { BookingInvoiceResolver, InvoiceResolver } from './resolvers/InvoiceResolver';
import { invoiceReferences } from './resolvers/invoice.reference';
import { InvoiceSubscriptions } from './resolvers/InvoiceSubscriptions';
import { invoiceLiveUpdates } from './live/invoiceUpdates';
import { seedDemo } from './seed/demoSeed';

export const billing = defineSubgraph<BillingLoaders, BillingServices>({
  name: 'billing',
  entities: [Invoice, InvoiceLine, Payment, Refund],
  migrations,
  createLoaders,
  seedDemo,
  attach: attachBillingServices,
  publishesEvents: true,
  consumes: [{ stream: 'bookings', handler: onBookingEvent }],
  liveUpdates: invoiceLiveUpdates,
  invalidates: invoiceInvalidations,
  schema: { resolvers: [InvoiceResolver, BookingInvoiceResolver, InvoiceSubscriptions], referenceResolvers: invoiceReferences },
});

export const { buildSchema, createServer } = billing;
export { Invoice, InvoiceStatus } from './entities/Invoice';
