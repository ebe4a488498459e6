import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum PaymentStatus {
  SUCCEEDED = 'SUCCEEDED',
  DECLINED = 'DECLINED',
}
registerEnumType(PaymentStatus, { name: 'PaymentStatus' });

@ObjectType({ description: 'One attempt to pay an invoice.' })
@Entity({ tableName: 'payments' })
export class Payment {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'uuid' })
  invoiceId!: string;

  @Property({ type: 'text', hidden: true })
  idempotencyKey!: string;

  @Property({ type: 'text', hidden: true })
  requestHash!: string;

  @Property({ type: 'integer' })
  amountMinor!: number;

  @Property({ type: 'text', length: 3 })
  currency!: string;

  @Field(() => PaymentStatus)
  @Enum({ items: () => PaymentStatus, type: 'text' })
  status!: PaymentStatus;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  declineReason?: string | null;

  @Property({ type: 'text', nullable: true })
  providerReference?: string | null;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
