import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** bookings owns Booking; billing contributes `Booking.invoice`. */
@Directive('@key(fields: "id")')
@ObjectType('Booking')
export class BookingReference {
  @Field(() => ID)
  id!: string;

  static of(id: string): BookingReference {
    return Object.assign(new BookingReference(), { id });
  }
}
