import { Money, MoneyInput, visibleEntity, type Viewer } from '@booking/runtime';
import { IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { Arg, Ctx, Directive, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { BookingReference } from '../entities/BookingReference';
import { Invoice } from '../entities/Invoice';
import type { BillingContext } from '../loaders';
import { maySeeInvoice } from '../services/invoiceAccess';
import { InvoiceService } from '../services/InvoiceService';
import { PaymentService } from '../services/PaymentService';
import { InvoiceLine } from '../entities/InvoiceLine';
import { Payment } from '../entities/Payment';
import { trialBalance } from '../ledger/Ledger';

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

@InputType({ description: 'Test cards: 4242424242424242 succeeds, 4000000000000002 is declined, 4000000000000119 fails transiently.' })
class CardInput {
  @Field(() => String)
  @Matches(/^[0-9]{12,19}$/, { message: 'card.number must be 12 to 19 digits' })
  number!: string;

  @Field(() => Int)
  @Min(1)
  @Max(12)
  expMonth!: number;

  @Field(() => Int)
  @Min(2000)
  @Max(2100)
  expYear!: number;

  @Field(() => String)
  @Matches(/^[0-9]{3,4}$/, { message: 'card.cvc must be 3 or 4 digits' })
  cvc!: string;
}

@InputType()
class PayInvoiceInput {
  @Field(() => ID)
  @IsUUID('all', { message: 'invoiceId must be an invoice id' })
  invoiceId!: string;

  @Field(() => String)
  @Length(1, 200, { message: 'idempotencyKey must be 1 to 200 characters' })
  idempotencyKey!: string;

  @Field(() => CardInput)
  @ValidateNested()
  card!: CardInput;
}

@ObjectType()
class LedgerBalance {
  @Field(() => String)
  account!: string;

  @Field(() => Money)
  debits!: Money;

  @Field(() => Money)
  credits!: Money;
}

/** Null when there is none, FORBIDDEN when it is not the viewer's (see maySeeInvoice). */
function visible(invoice: Invoice | null, viewer: Viewer | null): Invoice | null {
  return visibleEntity('invoice', invoice, (found) => maySeeInvoice(viewer, found));
}

@Resolver(() => Invoice)
export class InvoiceResolver {
  @Directive('@authenticated')
  @Query(() => Invoice, { nullable: true, description: 'An invoice by id; null when there is none, FORBIDDEN when it is not yours.' })
  async invoice(@Arg('id', () => ID) id: string, @Ctx() context: BillingContext): Promise<Invoice | null> {
    return visible(await context.loaders.invoiceById.load(id), context.viewer);
  }

  @Directive('@requiresScopes(scopes: [["admin"]])')
  @Mutation(() => Invoice, { description: 'Issues the invoice of a booking (admins); INVOICE_EXISTS when it has one.' })
  issueInvoice(@Arg('input', () => IssueInvoiceInput) input: IssueInvoiceInput, @Ctx() context: BillingContext) {
    return new InvoiceService(context.em).issue({
      bookingId: input.bookingId,
      guestId: input.guestId,
      currency: input.amount.currency,
      lines: [{ description: 'Manual invoice', quantity: 1, unitMinor: input.amount.amount }],
    });
  }

  @Directive('@requiresScopes(scopes: [["invoices:pay"]])')
  @Mutation(() => Payment, {
    description: 'Pays an OPEN invoice by card (its guest). The same idempotencyKey never charges twice; PAYMENT_DECLINED on a decline.',
  })
  payInvoice(@Arg('input', () => PayInvoiceInput) input: PayInvoiceInput, @Ctx() context: BillingContext) {
    return new PaymentService(context.em, context.services.payments, context.services.logger).pay(input.invoiceId, context.viewer, input.idempotencyKey, input.card);
  }

  @Directive('@requiresScopes(scopes: [["admin"]])')
  @Query(() => [LedgerBalance], { description: 'Debits and credits per ledger account (admins). Debits always equal credits.' })
  async ledgerTrialBalance(@Ctx() context: BillingContext): Promise<LedgerBalance[]> {
    return (await trialBalance(context.em)).map((row) =>
      Object.assign(new LedgerBalance(), { account: row.account, debits: Money.of(row.debits, row.currency), credits: Money.of(row.credits, row.currency) }),
    );
  }

  @FieldResolver(() => [InvoiceLine])
  async lines(@Root() invoice: Invoice, @Ctx() context: BillingContext): Promise<InvoiceLine[]> {
    const lines = await context.loaders.linesByInvoiceId.load(invoice.id);
    return lines.map((line) =>
      Object.assign(line, { unitPrice: Money.of(line.unitMinor, invoice.currency), amount: Money.of(line.amountMinor, invoice.currency) }),
    );
  }

  @FieldResolver(() => Money, { description: 'Refunded so far.' })
  refunded(@Root() invoice: Invoice): Money {
    return Money.of(invoice.refundedMinor, invoice.currency);
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
  @FieldResolver(() => Invoice, { nullable: true, description: 'The invoice for this booking, once issued; its guest, the listing’s host and admins (FORBIDDEN for anyone else).' })
  async invoice(@Root() booking: BookingReference, @Ctx() context: BillingContext): Promise<Invoice | null> {
    return visible(await context.loaders.invoiceByBookingId.load(booking.id), context.viewer);
  }
}
