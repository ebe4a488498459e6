import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** catalog owns Listing; bookings contributes `Listing.bookings`. */
@Directive('@key(fields: "id")')
@ObjectType('Listing')
export class ListingReference {
  @Field(() => ID)
  id!: string;

  static of(id: string): ListingReference {
    return Object.assign(new ListingReference(), { id });
  }
}

/** accounts owns User; bookings contributes `User.bookings`. */
@Directive('@key(fields: "id")')
@ObjectType('User')
export class UserReference {
  @Field(() => ID)
  id!: string;

  static of(id: string): UserReference {
    return Object.assign(new UserReference(), { id });
  }
}
