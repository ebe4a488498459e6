import {
  buildFederatedSchema,
  createSubgraphServer,
  type SubgraphConfig,
  type SubgraphDefinition,
  type SubgraphServer,
} from '@booking/runtime';
import type { GraphQLSchema } from 'graphql';
import { migrations } from '../migrations';
import { Invoice } from './entities/Invoice';
import { createLoaders, type BillingContext, type BillingLoaders } from './loaders';
import { BookingInvoiceResolver, InvoiceResolver } from './resolvers/InvoiceResolver';
import { invoiceReferences } from './resolvers/invoice.reference';
import { seedDemo } from './seed/demoSeed';

export function buildSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema<BillingContext>({ resolvers: [InvoiceResolver, BookingInvoiceResolver], referenceResolvers: invoiceReferences });
}

export const billingSubgraph: SubgraphDefinition<BillingLoaders> = {
  name: 'billing',
  entities: [Invoice],
  migrations,
  buildSchema,
  createLoaders,
  seedDemo,
};

export function createServer(config: SubgraphConfig): Promise<SubgraphServer> {
  return createSubgraphServer(billingSubgraph, config);
}

export { Invoice, InvoiceStatus } from './entities/Invoice';
