import { ConnectionArgs, connectionType } from '@booking/runtime';
import { IsUUID } from 'class-validator';
import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Booking } from '../entities/Booking';
import { ListingReference, UserReference } from '../entities/references';
import type { BookingsContext } from '../loaders';
import { BookingService } from '../services/BookingService';

const BookingConnection = connectionType('Booking', Booking);

@InputType()
class CreateBookingInput {
  @Field(() => ID)
  @IsUUID('all', { message: 'listingId must be a listing id' })
  listingId!: string;

  @Field(() => ID)
  @IsUUID('all', { message: 'guestId must be a user id' })
  guestId!: string;

  @Field(() => Date)
  startsAt!: Date;

  @Field(() => Date)
  endsAt!: Date;
}

@Resolver(() => Booking)
export class BookingResolver {
  @Query(() => Booking, { nullable: true, description: 'A booking by id; null when there is none.' })
  booking(@Arg('id', () => ID) id: string, @Ctx() context: BookingsContext): Promise<Booking | null> {
    return context.loaders.bookingById.load(id);
  }

  @Query(() => BookingConnection, { description: 'Bookings, oldest first.' })
  bookings(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() context: BookingsContext) {
    return new BookingService(context.em).list(args);
  }

  @Mutation(() => Booking, { description: 'Holds the time range; BOOKING_CONFLICT when it overlaps an active booking.' })
  createBooking(@Arg('input', () => CreateBookingInput) input: CreateBookingInput, @Ctx() context: BookingsContext) {
    return new BookingService(context.em).create(input);
  }

  @FieldResolver(() => ListingReference, {
    nullable: true,
    description: 'Resolved by catalog; null only when catalog cannot answer (see errors).',
  })
  listing(@Root() booking: Booking): ListingReference {
    return ListingReference.of(booking.listingId);
  }

  @FieldResolver(() => UserReference, {
    nullable: true,
    description: 'Resolved by accounts; null only when accounts cannot answer (see errors).',
  })
  guest(@Root() booking: Booking): UserReference {
    return UserReference.of(booking.guestId);
  }
}

@Resolver(() => ListingReference)
export class ListingBookingsResolver {
  @FieldResolver(() => [Booking], { description: 'Bookings of this listing, oldest first.' })
  bookings(@Root() listing: ListingReference, @Ctx() context: BookingsContext): Promise<Booking[]> {
    return context.loaders.bookingsByListingId.load(listing.id);
  }
}

@Resolver(() => UserReference)
export class UserBookingsResolver {
  @FieldResolver(() => [Booking], { description: 'Bookings this user made as a guest, oldest first.' })
  bookings(@Root() user: UserReference, @Ctx() context: BookingsContext): Promise<Booking[]> {
    return context.loaders.bookingsByGuestId.load(user.id);
  }
}
