import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'refunds' })
export class Refund {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'uuid' })
  invoiceId!: string;

  @Property({ type: 'uuid' })
  paymentId!: string;

  @Property({ type: 'integer' })
  amountMinor!: number;

  @Property({ type: 'text', length: 3 })
  currency!: string;

  @Property({ type: 'text' })
  reason!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
