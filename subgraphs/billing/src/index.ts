import { defineSubgraph } from '@booking/runtime';
import { migrations } from '../migrations';
import { Invoice } from './entities/Invoice';
import { createLoaders, type BillingLoaders } from './loaders';
import { BookingInvoiceResolver, InvoiceResolver } from './resolvers/InvoiceResolver';
import { invoiceReferences } from './resolvers/invoice.reference';
import { seedDemo } from './seed/demoSeed';

export const billing = defineSubgraph<BillingLoaders>({
  name: 'billing',
  entities: [Invoice],
  migrations,
  createLoaders,
  seedDemo,
  schema: { resolvers: [InvoiceResolver, BookingInvoiceResolver], referenceResolvers: invoiceReferences },
});

export const { buildSchema, createServer } = billing;
export { Invoice, InvoiceStatus } from './entities/Invoice';
