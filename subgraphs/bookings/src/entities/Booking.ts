import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

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
// Visible to its guest, its host and admins only: PRIVATE (keyed by viewer), and short-lived.
@Directive('@cacheControl(maxAge: 10, scope: PRIVATE)')
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

  /** The listing's host when the booking was made, so hosts can see bookings of their listings. */
  @Property({ type: 'uuid', nullable: true })
  hostId?: string | null;

  @Field(() => Int, { description: 'How many people stay.' })
  @Property({ type: 'integer' })
  guests: number = 1;

  @Field(() => Int, { nullable: true })
  @Property({ type: 'integer', nullable: true })
  nights?: number | null;

  /** Minor units of `currency`; exposed as `total: Money`. */
  @Property({ type: 'integer', nullable: true })
  totalAmount?: number | null;

  @Property({ type: 'text', length: 3, nullable: true })
  currency?: string | null;

  @Field(() => Date, { nullable: true, description: 'A HELD booking expires (EXPIRED) unless paid before this.' })
  @Property({ type: 'datetime', nullable: true })
  holdExpiresAt?: Date | null;

  @Property({ type: 'text', nullable: true, hidden: true })
  idempotencyKey?: string | null;

  /** SHA-256 of the request made with `idempotencyKey`, to refuse the key with other arguments. */
  @Property({ type: 'text', nullable: true, hidden: true })
  requestHash?: string | null;

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
