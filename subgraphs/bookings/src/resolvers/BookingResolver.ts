import { ConnectionArgs, connectionType, Forbidden, hasScope, LEGACY_LIST_LIMIT, Money, truncatedList, visibleEntity, type Viewer } from '@booking/runtime';
import { responsePathAsArray, type GraphQLResolveInfo } from 'graphql';
import { IsUUID, Length, Min } from 'class-validator';
import { Arg, Args, Ctx, Directive, Field, FieldResolver, ID, Info, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Booking } from '../entities/Booking';
import { ListingReference, UserReference } from '../entities/references';
import type { BookingsContext } from '../loaders';
import { maySeeBooking } from '../services/bookingAccess';
import { BookingService } from '../services/BookingService';

const BookingConnection = connectionType('Booking', Booking);

/** The router enforces `@authenticated`; this guards direct use of the resolvers all the same. */
function signedIn(viewer: Viewer | null): Viewer {
  if (!viewer) throw new Forbidden('sign in first');
  return viewer;
}

@InputType()
class CreateBookingInput {
  @Field(() => ID)
  @IsUUID('all', { message: 'listingId must be a listing id' })
  listingId!: string;

  @Field(() => Date, { description: 'Start of the stay, inclusive.' })
  startsAt!: Date;

  @Field(() => Date, { description: 'End of the stay, exclusive.' })
  endsAt!: Date;

  @Field(() => Int, { defaultValue: 1 })
  @Min(1, { message: 'guests must be at least 1' })
  guests: number = 1;

  @Field(() => String, { description: 'Any unique string per intended booking; a retry with it returns the first result.' })
  @Length(1, 200, { message: 'idempotencyKey must be 1 to 200 characters' })
  idempotencyKey!: string;
}

@ObjectType({ description: 'The price of a stay, as createBooking would charge it now.' })
class Quote {
  @Field(() => Int)
  nights!: number;

  @Field(() => Money)
  nightly!: Money;

  @Field(() => Money)
  cleaningFee!: Money;

  @Field(() => Money)
  total!: Money;
}

@Resolver(() => Booking)
export class BookingResolver {
  @Directive('@authenticated')
  @Query(() => Booking, { nullable: true, description: 'A booking by id; null when there is none, FORBIDDEN when it is not yours.' })
  async booking(@Arg('id', () => ID) id: string, @Ctx() context: BookingsContext): Promise<Booking | null> {
    const booking = await context.loaders.bookingById.load(id);
    return visibleEntity('booking', booking, (found) => maySeeBooking(context.viewer, found));
  }

  @Directive('@authenticated')
  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)')
  @Query(() => BookingConnection, { description: 'Your bookings as guest or host, oldest first (admins: everyone’s).' })
  bookings(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() context: BookingsContext) {
    const viewer = signedIn(context.viewer);
    const where = hasScope(viewer, 'admin') ? {} : { $or: [{ guestId: viewer.userId }, { hostId: viewer.userId }] };
    return new BookingService(context.em).list(args, where);
  }

  @Query(() => Quote, { description: 'What a stay would cost; LISTING_UNAVAILABLE for an unknown or unpublished listing.' })
  async quote(
    @Arg('listingId', () => ID) listingId: string,
    @Arg('startsAt', () => Date) startsAt: Date,
    @Arg('endsAt', () => Date) endsAt: Date,
    @Arg('guests', () => Int, { defaultValue: 1 }) guests: number,
    @Ctx() context: BookingsContext,
  ): Promise<Quote> {
    const price = await new BookingService(context.em).quote({ listingId, startsAt, endsAt, guests });
    return Object.assign(new Quote(), {
      nights: price.nights,
      nightly: Money.of(price.nightly.amount, price.nightly.currency),
      cleaningFee: Money.of(price.cleaningFee.amount, price.cleaningFee.currency),
      total: Money.of(price.total.amount, price.total.currency),
    });
  }

  @Directive('@requiresScopes(scopes: [["bookings:write"]])')
  @Mutation(() => Booking, {
    description: 'Holds the stay for you (HELD until paid or expired); BOOKING_CONFLICT when it overlaps an active booking.',
  })
  createBooking(@Arg('input', () => CreateBookingInput) input: CreateBookingInput, @Ctx() context: BookingsContext) {
    const service = new BookingService(context.em, context.services.holdTtlSeconds);
    return service.create({ ...input, guestId: signedIn(context.viewer).userId });
  }

  @Directive('@authenticated')
  @Mutation(() => Booking, { description: 'Cancels a HELD or CONFIRMED booking (its guest, host or an admin); billing refunds.' })
  cancelBooking(@Arg('id', () => ID) id: string, @Ctx() context: BookingsContext) {
    return new BookingService(context.em).cancel(id, context.viewer);
  }

  @Directive('@requiresScopes(scopes: [["admin"]])')
  @Mutation(() => Booking, { description: 'Marks a CONFIRMED stay as COMPLETED (admins).' })
  completeBooking(@Arg('id', () => ID) id: string, @Ctx() context: BookingsContext) {
    return new BookingService(context.em).complete(id);
  }

  @FieldResolver(() => Money, { nullable: true, description: 'What the stay costs (nights and cleaning fee).' })
  total(@Root() booking: Booking): Money | null {
    return booking.totalAmount != null && booking.currency ? Money.of(booking.totalAmount, booking.currency) : null;
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

/**
 * `Listing.bookings` and `User.bookings` were unpaginated lists, and `Booking.guest` /
 * `Booking.listing` lead back to them, so a nested query grew as b^depth. They stay for old
 * clients (deprecated, at most LEGACY_LIST_LIMIT items, LIST_TRUNCATED beyond); the
 * `bookingsConnection` fields page like the root `bookings(first:, after:)`: same arguments,
 * same BookingConnection, same keyset cursors. A new name, because a field cannot change its type
 * without breaking the clients that still select it as a list.
 */
const LISTING_BOOKINGS_PAGED = 'Listing.bookingsConnection(first:, after:)';
const USER_BOOKINGS_PAGED = 'User.bookingsConnection(first:, after:)';

function pageArgs(key: string, args: ConnectionArgs) {
  return { key, first: args.first, after: args.after ?? null };
}

function mayListGuestBookings(viewer: Viewer | null, user: UserReference): void {
  const signedInViewer = signedIn(viewer);
  if (signedInViewer.userId !== user.id && !hasScope(signedInViewer, 'admin')) {
    throw new Forbidden('bookings are visible only to their guest and to admins');
  }
}

@Resolver(() => ListingReference)
export class ListingBookingsResolver {
  @Directive('@authenticated')
  @Directive(`@listSize(assumedSize: ${LEGACY_LIST_LIMIT})`)
  @FieldResolver(() => [Booking], {
    description: `Bookings of this listing you may see (its host and admins: all), oldest first; at most ${LEGACY_LIST_LIMIT}.`,
    deprecationReason: `Unpaginated: at most ${LEGACY_LIST_LIMIT} items (LIST_TRUNCATED beyond). Use bookingsConnection(first:, after:).`,
  })
  async bookings(@Root() listing: ListingReference, @Ctx() context: BookingsContext, @Info() info: GraphQLResolveInfo): Promise<Booking[]> {
    signedIn(context.viewer);
    const page = await context.loaders.bookingPagesByListingId.load({ key: listing.id, first: LEGACY_LIST_LIMIT });
    return truncatedList(page, (error) => context.work.report(error, responsePathAsArray(info.path)), 'Listing.bookings', LISTING_BOOKINGS_PAGED);
  }

  @Directive('@authenticated')
  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)')
  @FieldResolver(() => BookingConnection, {
    description: 'A page of the bookings of this listing you may see (its host and admins: all), oldest first.',
  })
  bookingsConnection(@Root() listing: ListingReference, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() context: BookingsContext) {
    signedIn(context.viewer);
    return context.loaders.bookingPagesByListingId.load(pageArgs(listing.id, args));
  }
}

@Resolver(() => UserReference)
export class UserBookingsResolver {
  @Directive('@authenticated')
  @Directive(`@listSize(assumedSize: ${LEGACY_LIST_LIMIT})`)
  @FieldResolver(() => [Booking], {
    nullable: true,
    description: `Bookings this user made as a guest, oldest first; only for the user and admins; at most ${LEGACY_LIST_LIMIT}.`,
    deprecationReason: `Unpaginated: at most ${LEGACY_LIST_LIMIT} items (LIST_TRUNCATED beyond). Use bookingsConnection(first:, after:).`,
  })
  async bookings(@Root() user: UserReference, @Ctx() context: BookingsContext, @Info() info: GraphQLResolveInfo): Promise<Booking[]> {
    mayListGuestBookings(context.viewer, user);
    const page = await context.loaders.bookingPagesByGuestId.load({ key: user.id, first: LEGACY_LIST_LIMIT });
    return truncatedList(page, (error) => context.work.report(error, responsePathAsArray(info.path)), 'User.bookings', USER_BOOKINGS_PAGED);
  }

  @Directive('@authenticated')
  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)')
  @FieldResolver(() => BookingConnection, {
    nullable: true,
    description: 'A page of the bookings this user made as a guest, oldest first; only for the user and admins.',
  })
  bookingsConnection(@Root() user: UserReference, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() context: BookingsContext) {
    mayListGuestBookings(context.viewer, user);
    return context.loaders.bookingPagesByGuestId.load(pageArgs(user.id, args));
  }
}
