import { Money } from '@booking/runtime';
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'One line of an invoice: quantity × unit price.' })
@Entity({ tableName: 'invoice_lines' })
export class InvoiceLine {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'uuid' })
  invoiceId!: string;

  @Property({ type: 'integer' })
  position!: number;

  @Field(() => String)
  @Property({ type: 'text' })
  description!: string;

  @Field(() => Int)
  @Property({ type: 'integer' })
  quantity!: number;

  @Property({ type: 'integer' })
  unitMinor!: number;

  @Property({ type: 'integer' })
  amountMinor!: number;

  /** Set by the resolver from the invoice's currency. */
  @Field(() => Money)
  unitPrice?: Money;

  @Field(() => Money)
  amount?: Money;
}
