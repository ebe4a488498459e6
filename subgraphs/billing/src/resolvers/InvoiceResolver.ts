import { Money, MoneyInput } from '@booking/runtime';
import { IsUUID, ValidateNested } from 'class-validator';
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import { BookingReference } from '../entities/BookingReference';
import { Invoice } from '../entities/Invoice';
import type { BillingContext } from '../loaders';
import { InvoiceService } from '../services/InvoiceService';

@InputType()
class IssueInvoiceInput {
  @Field(() => ID)
  @IsUUID('all', { message: 'bookingId must be a booking id' })
  bookingId!: string;

  @Field(() => MoneyInput)
  @ValidateNested()
  amount!: MoneyInput;
}

@Resolver(() => Invoice)
export class InvoiceResolver {
  @Query(() => Invoice, { nullable: true, description: 'An invoice by id; null when there is none.' })
  invoice(@Arg('id', () => ID) id: string, @Ctx() context: BillingContext): Promise<Invoice | null> {
    return context.loaders.invoiceById.load(id);
  }

  @Mutation(() => Invoice, { description: 'Issues the invoice of a booking; INVOICE_EXISTS when it has one.' })
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
  @FieldResolver(() => Invoice, { nullable: true, description: 'The invoice for this booking, once issued.' })
  invoice(@Root() booking: BookingReference, @Ctx() context: BillingContext): Promise<Invoice | null> {
    return context.loaders.invoiceByBookingId.load(booking.id);
  }
}
