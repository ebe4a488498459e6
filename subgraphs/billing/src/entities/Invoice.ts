import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum InvoiceStatus {
  OPEN = 'OPEN',
  PAID = 'PAID',
  VOID = 'VOID',
  REFUNDED = 'REFUNDED',
  PARTIALLY_REFUNDED = 'PARTIALLY_REFUNDED',
}
registerEnumType(InvoiceStatus, { name: 'InvoiceStatus', description: 'OPEN until paid; VOID or REFUNDED when the booking ends early.' });

@Directive('@key(fields: "id")')
// The guest's (and admins') own bill: PRIVATE (keyed by viewer), and short-lived.
@Directive('@cacheControl(maxAge: 10, scope: PRIVATE)')
@ObjectType({ description: 'What a guest owes for one booking.' })
@Entity({ tableName: 'invoices' })
export class Invoice {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  /** Owned by bookings; one invoice per booking (unique), no foreign key across databases. */
  @Property({ type: 'uuid', unique: 'invoices_booking_id_key' })
  bookingId!: string;

  /** The booking's guest (owned by accounts), who may see and pay this invoice. */
  @Property({ type: 'uuid', nullable: true })
  guestId?: string | null;

  /** Minor units of `currency`; exposed as `amount: Money`. */
  @Property({ type: 'integer' })
  amountMinor!: number;

  @Property({ type: 'text', length: 3 })
  currency!: string;

  @Field(() => InvoiceStatus)
  @Enum({ items: () => InvoiceStatus, type: 'text' })
  status!: InvoiceStatus;

  @Property({ type: 'uuid', nullable: true })
  listingId?: string | null;

  /** The listing's host, who may see this invoice. */
  @Property({ type: 'uuid', nullable: true })
  hostId?: string | null;

  /** For the cancellation policy: how long before the stay a cancellation comes. */
  @Property({ type: 'datetime', nullable: true })
  stayStartsAt?: Date | null;

  @Property({ type: 'integer' })
  refundedMinor: number = 0;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}
