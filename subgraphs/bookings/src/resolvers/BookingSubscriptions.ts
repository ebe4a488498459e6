import { randomUUID } from 'node:crypto';
import { EventScopedCache, Forbidden, hasScope, type Viewer } from '@booking/runtime';
import { Arg, Ctx, Directive, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { Booking } from '../entities/Booking';
import { BOOKING_UPDATED, MY_BOOKINGS } from '../live/liveUpdates';
import type { BookingsContext } from '../loaders';

interface Signal {
  bookingId: string;
  eventId: string;
}

/**
 * A signal only says "this booking changed" and the resolver reads its current state, so a
 * slow subscriber's queue keeps the newest signal per booking (lossless); more distinct
 * bookings waiting than the buffer ends the stream with SLOW_CONSUMER (see LiveUpdates).
 */
const latestPerBooking = { latestPer: (signal: Signal) => signal.bookingId };

/** The booking as of one event, read once per event for all its subscribers here. */
const bookingAsOfEvent = new EventScopedCache<Booking>();

/** Stands for "the booking as it is now"; its own event id, so no earlier event's cached read answers it. */
function resumeSignal(bookingId: string): Signal {
  return { bookingId, eventId: `resume:${randomUUID()}` };
}

function mayWatch(viewer: Viewer | null, booking: Booking): boolean {
  return viewer !== null && (viewer.userId === booking.guestId || viewer.userId === booking.hostId || hasScope(viewer, 'admin'));
}

/** Every event reads the booking afresh (an update only says "it changed"), once per event. */
function current(context: BookingsContext, signal: Signal): Promise<Booking> {
  return bookingAsOfEvent.get(`${signal.eventId}:${signal.bookingId}`, () =>
    context.em.fork().findOneOrFail(Booking, { id: signal.bookingId }),
  );
}

@Resolver(() => Booking)
export class BookingSubscriptions {
  @Directive('@authenticated')
  @Subscription(() => Booking, {
    description: 'The booking each time it changes (its guest, its host, admins).',
    subscribe: async ({ args, context }: SubscribeResolverData<unknown, { id: string }, BookingsContext>) => {
      const booking = await context.loaders.bookingById.load(args.id);
      // Checked once, at subscribe time: who may see a booking never changes.
      if (!booking || !mayWatch(context.viewer, booking)) throw new Forbidden('not a booking you may watch');
      // Resumed by the router after a lost socket: the booking as it is now comes first.
      return context.live.subscribe(BOOKING_UPDATED, args.id, { ...latestPerBooking, current: [resumeSignal(args.id)] });
    },
  })
  bookingUpdated(@Root() signal: Signal, @Arg('id', () => ID) _id: string, @Ctx() context: BookingsContext): Promise<Booking> {
    return current(context, signal);
  }

  @Directive('@authenticated')
  @Subscription(() => Booking, {
    description: 'Each of your bookings (as guest or host) as it changes.',
    subscribe: ({ context }: SubscribeResolverData<unknown, Record<string, never>, BookingsContext>) => {
      if (!context.viewer) throw new Forbidden('sign in first');
      return context.live.subscribe(MY_BOOKINGS, context.viewer.userId, latestPerBooking);
    },
  })
  myBookings(@Root() signal: Signal, @Ctx() context: BookingsContext): Promise<Booking> {
    return current(context, signal);
  }
}
