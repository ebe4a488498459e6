import { hasScope, Money, MoneyInput, type Viewer } from '@booking/runtime';
import { IsUUID, ValidateNested } from 'class-validator';
import { Arg, Ctx, Directive, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import { BookingReference } from '../entities/BookingReference';
import { Invoice } from '../entities/Invoice';
import type { BillingContext } from '../loaders';
import { InvoiceService } from '../services/InvoiceService';

@InputType()
class IssueInvoiceInput {
  @Field(() => ID)
  @IsUUID('all', { message: 'bookingId must be a booking id' })
  bookingId!: string;

  @Field(() => ID)
  @IsUUID('all', { message: 'guestId must be a user id' })
  guestId!: string;

  @Field(() => MoneyInput)
  @ValidateNested()
  amount!: MoneyInput;
}

/** Guests see their own invoices; admins see all. */
function visible(invoice: Invoice | null, viewer: Viewer | null): Invoice | null {
  if (!invoice || !viewer) return null;
  return invoice.guestId === viewer.userId || hasScope(viewer, 'admin') ? invoice : null;
}

@Resolver(() => Invoice)
export class InvoiceResolver {
  @Directive('@authenticated')
  @Query(() => Invoice, { nullable: true, description: 'An invoice by id; null when there is none or it is not yours.' })
  async invoice(@Arg('id', () => ID) id: string, @Ctx() context: BillingContext): Promise<Invoice | null> {
    return visible(await context.loaders.invoiceById.load(id), context.viewer);
  }

  @Directive('@requiresScopes(scopes: [["admin"]])')
  @Mutation(() => Invoice, { description: 'Issues the invoice of a booking (admins); INVOICE_EXISTS when it has one.' })
  issueInvoice(@Arg('input', () => IssueInvoiceInput) input: IssueInvoiceInput, @Ctx() context: BillingContext) {
    return new InvoiceService(context.em).issue(input);
  }

  @FieldResolver(() => Money)
  amount(@Root() invoice: Invoice): Money {
    return Money.of(invoice.amountMinor, invoice.currency);
  }

  @FieldResolver(() => BookingReference, {
    nullable: true,
    description: 'Resolved by bookings; null only when bookings cannot answer (see errors).',
  })
  booking(@Root() invoice: Invoice): BookingReference {
    return BookingReference.of(invoice.bookingId);
  }
}

@Resolver(() => BookingReference)
export class BookingInvoiceResolver {
  @Directive('@authenticated')
  @FieldResolver(() => Invoice, { nullable: true, description: 'The invoice for this booking, once issued; guest and admins only.' })
  async invoice(@Root() booking: BookingReference, @Ctx() context: BillingContext): Promise<Invoice | null> {
    return visible(await context.loaders.invoiceByBookingId.load(booking.id), context.viewer);
  }
}
