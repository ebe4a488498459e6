import { ConnectionArgs, connectionType, Forbidden, hasScope, type Viewer } from '@booking/runtime';
import { IsUUID } from 'class-validator';
import { Arg, Args, Ctx, Directive, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Booking } from '../entities/Booking';
import { ListingReference, UserReference } from '../entities/references';
import type { BookingsContext } from '../loaders';
import { BookingService } from '../services/BookingService';

const BookingConnection = connectionType('Booking', Booking);

/** The router enforces `@authenticated`; this guards direct use of the resolvers all the same. */
function signedIn(viewer: Viewer | null): Viewer {
  if (!viewer) throw new Forbidden('sign in first');
  return viewer;
}

function canSee(viewer: Viewer | null, booking: Booking): boolean {
  return viewer !== null && (viewer.userId === booking.guestId || hasScope(viewer, 'admin'));
}

@InputType()
class CreateBookingInput {
  @Field(() => ID)
  @IsUUID('all', { message: 'listingId must be a listing id' })
  listingId!: string;

  @Field(() => Date)
  startsAt!: Date;

  @Field(() => Date)
  endsAt!: Date;
}

@Resolver(() => Booking)
export class BookingResolver {
  @Directive('@authenticated')
  @Query(() => Booking, { nullable: true, description: 'A booking by id; null when there is none or it is not yours.' })
  async booking(@Arg('id', () => ID) id: string, @Ctx() context: BookingsContext): Promise<Booking | null> {
    const booking = await context.loaders.bookingById.load(id);
    return booking && canSee(context.viewer, booking) ? booking : null;
  }

  @Directive('@authenticated')
  @Query(() => BookingConnection, { description: 'Your bookings, oldest first (admins: everyone’s).' })
  bookings(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() context: BookingsContext) {
    const viewer = signedIn(context.viewer);
    return new BookingService(context.em).list(args, hasScope(viewer, 'admin') ? {} : { guestId: viewer.userId });
  }

  @Directive('@requiresScopes(scopes: [["bookings:write"]])')
  @Mutation(() => Booking, { description: 'Holds the time range for you; BOOKING_CONFLICT when it overlaps an active booking.' })
  createBooking(@Arg('input', () => CreateBookingInput) input: CreateBookingInput, @Ctx() context: BookingsContext) {
    return new BookingService(context.em).create({ ...input, guestId: signedIn(context.viewer).userId });
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
  @Directive('@requiresScopes(scopes: [["admin"]])')
  @FieldResolver(() => [Booking], { description: 'Bookings of this listing, oldest first (admins).' })
  bookings(@Root() listing: ListingReference, @Ctx() context: BookingsContext): Promise<Booking[]> {
    return context.loaders.bookingsByListingId.load(listing.id);
  }
}

@Resolver(() => UserReference)
export class UserBookingsResolver {
  @Directive('@authenticated')
  @FieldResolver(() => [Booking], {
    nullable: true,
    description: 'Bookings this user made as a guest, oldest first; only for the user and admins.',
  })
  bookings(@Root() user: UserReference, @Ctx() context: BookingsContext): Promise<Booking[]> {
    const viewer = signedIn(context.viewer);
    if (viewer.userId !== user.id && !hasScope(viewer, 'admin')) throw new Forbidden('bookings are visible only to their guest and to admins');
    return context.loaders.bookingsByGuestId.load(user.id);
  }
}
