import { randomUUID } from 'node:crypto';
import { EventScopedCache, Forbidden, hasScope } from '@booking/runtime';
import { Arg, Ctx, Directive, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { Invoice } from '../entities/Invoice';
import { INVOICE_UPDATED } from '../live/invoiceUpdates';
import type { BillingContext } from '../loaders';

const invoiceAsOfEvent = new EventScopedCache<Invoice>();

interface Signal {
  invoiceId: string;
  eventId: string;
}

@Resolver(() => Invoice)
export class InvoiceSubscriptions {
  @Directive('@authenticated')
  @Subscription(() => Invoice, {
    description: 'The invoice each time it changes (its guest, the listing’s host, admins).',
    subscribe: async ({ args, context }: SubscribeResolverData<unknown, { id: string }, BillingContext>) => {
      const invoice = await context.loaders.invoiceById.load(args.id);
      const viewer = context.viewer;
      const involved = viewer !== null && invoice !== null && (invoice.guestId === viewer.userId || invoice.hostId === viewer.userId);
      if (!invoice || (!involved && !hasScope(viewer, 'admin'))) throw new Forbidden('not an invoice you may watch');
      // A signal only says "it changed" (the resolver reads the invoice), so a slow subscriber
      // keeps the newest per invoice: lossless (see LiveUpdates).
      // Resumed by the router after a lost socket: the invoice as it is now comes first (its own
      // event id, so no earlier event's cached read answers it).
      return context.live.subscribe(INVOICE_UPDATED, args.id, {
        latestPer: (signal: Signal) => signal.invoiceId,
        current: [{ invoiceId: args.id, eventId: `resume:${randomUUID()}` }],
      });
    },
  })
  invoiceUpdated(
    @Root() signal: Signal,
    @Arg('id', () => ID) _id: string,
    @Ctx() context: BillingContext,
  ): Promise<Invoice> {
    // Read once per event for all of its subscribers in this process.
    return invoiceAsOfEvent.get(`${signal.eventId}:${signal.invoiceId}`, () =>
      context.em.fork().findOneOrFail(Invoice, { id: signal.invoiceId }),
    );
  }
}
