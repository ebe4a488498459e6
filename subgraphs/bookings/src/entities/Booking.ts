import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum BookingStatus {
  HELD = 'HELD',
  CONFIRMED = 'CONFIRMED',
  COMPLETED = 'COMPLETED',
  CANCELLED = 'CANCELLED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(BookingStatus, {
  name: 'BookingStatus',
  description: 'HELD until paid, then CONFIRMED and COMPLETED; or CANCELLED, or EXPIRED when a hold lapses.',
});

/** Statuses that occupy the listing's calendar; the exclusion constraint covers exactly these. */
export const ACTIVE_STATUSES: readonly BookingStatus[] = [BookingStatus.HELD, BookingStatus.CONFIRMED];

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A guest’s reservation of a listing for a time range [startsAt, endsAt).' })
@Entity({ tableName: 'bookings' })
export class Booking {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  /** Owned by catalog; no foreign key across databases. */
  @Property({ type: 'uuid' })
  listingId!: string;

  /** Owned by accounts; no foreign key across databases. */
  @Property({ type: 'uuid' })
  guestId!: string;

  @Field(() => Date, { description: 'Start of the stay, inclusive.' })
  @Property({ type: 'datetime' })
  startsAt!: Date;

  @Field(() => Date, { description: 'End of the stay, exclusive.' })
  @Property({ type: 'datetime' })
  endsAt!: Date;

  @Field(() => BookingStatus)
  @Enum({ items: () => BookingStatus, type: 'text' })
  status!: BookingStatus;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
