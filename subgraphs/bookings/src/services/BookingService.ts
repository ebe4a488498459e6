import { createHash, randomUUID } from 'node:crypto';
import {
  Conflict,
  DomainError,
  findPage,
  Forbidden,
  hasScope,
  IdempotencyKeyReused,
  InvalidInput,
  isUuid,
  NotFound,
  PG_EXCLUSION_VIOLATION,
  PG_UNIQUE_VIOLATION,
  postgresErrorCode,
  recordEvent,
  type BookingPriceV1,
  type BookingStatusChangedV1,
  type Connection,
  type ConnectionArgs,
  type Viewer,
} from '@booking/runtime';
import { LockMode, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Booking, BookingStatus } from '../entities/Booking';
import { ListingSnapshot } from '../entities/ListingSnapshot';
import { assertTransition } from './bookingStateMachine';
import { priceStay } from './pricing';

export interface StayRequest {
  listingId: string;
  startsAt: Date;
  endsAt: Date;
  guests: number;
}

export interface BookingRequest extends StayRequest {
  guestId: string;
  idempotencyKey: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const LONGEST_STAY_MS = 365 * DAY_MS;

/** 00:00 UTC of `now`'s day: the earliest a stay may start (listings carry no time zone yet). */
export function earliestStart(now: Date): Date {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
}

export class BookingConflict extends Conflict {
  constructor(listingId: string) {
    super('BOOKING_CONFLICT', 'The listing is already booked for part of that time range', { listingId });
  }
}

export class ListingUnavailable extends DomainError {
  readonly code = 'LISTING_UNAVAILABLE';
  constructor(listingId: string) {
    super('The listing does not exist or is not published', { listingId });
  }
}

/**
 * Rules of a stay that need no I/O, kept apart so unit tests can cover them.
 *
 * A stay may start any time from 00:00 UTC today: a guest arriving late, or a desk taken for
 * the rest of the afternoon, books a stay that has already begun on the clock, as marketplaces
 * allow same-day check-in. A stay that starts on an earlier day, or that is already over, is
 * refused: it could never be used, yet it would hold the slot and open an invoice.
 */
export function checkBookingRequest(
  request: Pick<StayRequest, 'startsAt' | 'endsAt'> & { guests?: number },
  now: Date = new Date(),
): void {
  if (Number.isNaN(request.startsAt.getTime())) throw new InvalidInput('startsAt', 'is not a valid date-time');
  if (Number.isNaN(request.endsAt.getTime())) throw new InvalidInput('endsAt', 'is not a valid date-time');
  if (request.endsAt.getTime() <= request.startsAt.getTime()) {
    throw new InvalidInput('endsAt', 'must be after startsAt');
  }
  const earliest = earliestStart(now);
  if (request.startsAt.getTime() < earliest.getTime()) {
    throw new InvalidInput('startsAt', `is in the past: a stay may start today (UTC) or later, from ${earliest.toISOString()}`);
  }
  if (request.endsAt.getTime() <= now.getTime()) {
    throw new InvalidInput('endsAt', `is in the past: the stay must end after now (${now.toISOString()})`);
  }
  if (request.endsAt.getTime() - request.startsAt.getTime() > LONGEST_STAY_MS) {
    throw new InvalidInput('endsAt', 'a booking may last at most 365 days');
  }
  if (request.guests !== undefined && (!Number.isInteger(request.guests) || request.guests < 1)) {
    throw new InvalidInput('guests', 'must be at least 1');
  }
}

function requestHash(request: BookingRequest): string {
  const canonical = [request.listingId, request.startsAt.toISOString(), request.endsAt.toISOString(), request.guests].join('|');
  return createHash('sha256').update(canonical).digest('hex');
}

export function statusEvent(booking: Booking, cancelledBy?: BookingStatusChangedV1['cancelledBy']): BookingStatusChangedV1 {
  return {
    bookingId: booking.id,
    listingId: booking.listingId,
    guestId: booking.guestId,
    startsAt: booking.startsAt.toISOString(),
    endsAt: booking.endsAt.toISOString(),
    status: booking.status as BookingStatusChangedV1['status'],
    ...(booking.hostId ? { hostId: booking.hostId } : {}),
    ...(cancelledBy ? { cancelledBy } : {}),
  };
}

export class BookingService {
  constructor(
    private readonly em: EntityManager,
    private readonly holdTtlSeconds: number = 900,
  ) {}

  list(args: ConnectionArgs, where: FilterQuery<Booking> = {}): Promise<Connection<Booking>> {
    return findPage(this.em, Booking, where, args);
  }

  /** What a stay would cost now; the price createBooking will charge for the same request. */
  async quote(request: StayRequest, now: Date = new Date()): Promise<BookingPriceV1> {
    checkBookingRequest(request, now);
    const listing = await this.bookableListing(this.em, request);
    return priceStay(listing, request.startsAt, request.endsAt);
  }

  /**
   * Holds the stay. The EXCLUDE constraint decides overlaps under any concurrency; the unique
   * (guest, idempotencyKey) index makes retries return the first booking.
   */
  async create(request: BookingRequest, now: Date = new Date()): Promise<Booking> {
    checkBookingRequest(request, now);
    const hash = requestHash(request);
    const existing = await this.findByKey(request.guestId, request.idempotencyKey);
    if (existing) return this.replay(existing, hash);
    try {
      return await this.em.transactional(async (tx) => {
        const listing = await this.bookableListing(tx, request);
        const price = priceStay(listing, request.startsAt, request.endsAt);
        const booking = tx.create(Booking, {
          id: randomUUID(),
          listingId: request.listingId,
          guestId: request.guestId,
          hostId: listing.hostId,
          startsAt: request.startsAt,
          endsAt: request.endsAt,
          guests: request.guests,
          nights: price.nights,
          totalAmount: price.total.amount,
          currency: price.total.currency,
          status: BookingStatus.HELD,
          holdExpiresAt: new Date(now.getTime() + this.holdTtlSeconds * 1000),
          idempotencyKey: request.idempotencyKey,
          requestHash: hash,
          createdAt: now,
          updatedAt: now,
        });
        await tx.flush();
        await recordEvent(tx, 'bookings', 'booking.held', {
          bookingId: booking.id,
          listingId: booking.listingId,
          guestId: booking.guestId,
          hostId: listing.hostId,
          startsAt: booking.startsAt.toISOString(),
          endsAt: booking.endsAt.toISOString(),
          guests: booking.guests,
          price,
          holdExpiresAt: (booking.holdExpiresAt as Date).toISOString(),
        });
        return booking;
      });
    } catch (error) {
      const code = postgresErrorCode(error);
      if (code === PG_UNIQUE_VIOLATION || code === PG_EXCLUSION_VIOLATION) {
        // A concurrent request with the same key won (its row is committed by now).
        const winner = await this.findByKey(request.guestId, request.idempotencyKey);
        if (winner) return this.replay(winner, hash);
        if (code === PG_EXCLUSION_VIOLATION) throw new BookingConflict(request.listingId);
      }
      throw error;
    }
  }

  async cancel(id: string, viewer: Viewer | null, now: Date = new Date()): Promise<Booking> {
    return this.transition(id, BookingStatus.CANCELLED, now, (booking) => {
      const byGuest = viewer?.userId === booking.guestId;
      const byHost = viewer !== null && viewer.userId === booking.hostId;
      if (!byGuest && !byHost && !hasScope(viewer, 'admin')) throw new Forbidden('only the guest, the host or an admin may cancel');
      return byGuest ? 'GUEST' : byHost ? 'HOST' : 'ADMIN';
    });
  }

  async complete(id: string, now: Date = new Date()): Promise<Booking> {
    return this.transition(id, BookingStatus.COMPLETED, now);
  }

  /** Payment arrived (billing's invoice.settled PAID). A hold that already ended stays ended. */
  async confirmPaid(id: string, tx: EntityManager, now: Date = new Date()): Promise<Booking | null> {
    const booking = await tx.findOne(Booking, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!booking || booking.status !== BookingStatus.HELD) return null;
    return this.apply(tx, booking, BookingStatus.CONFIRMED, now);
  }

  private async transition(
    id: string,
    to: BookingStatus,
    now: Date,
    authorize?: (booking: Booking) => BookingStatusChangedV1['cancelledBy'],
  ): Promise<Booking> {
    // An id that is not a UUID names no booking (PostgreSQL would refuse to compare it).
    if (!isUuid(id)) throw new NotFound('booking', id);
    return this.em.transactional(async (tx) => {
      const booking = await tx.findOne(Booking, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!booking) throw new NotFound('booking', id);
      const cancelledBy = authorize?.(booking);
      return this.apply(tx, booking, to, now, cancelledBy);
    });
  }

  private async apply(
    tx: EntityManager,
    booking: Booking,
    to: BookingStatus,
    now: Date,
    cancelledBy?: BookingStatusChangedV1['cancelledBy'],
  ): Promise<Booking> {
    assertTransition(booking.status, to);
    booking.status = to;
    booking.updatedAt = now;
    if (to !== BookingStatus.HELD) booking.holdExpiresAt = null;
    await tx.flush();
    await recordEvent(tx, 'bookings', 'booking.status_changed', statusEvent(booking, cancelledBy));
    return booking;
  }

  private async bookableListing(em: EntityManager, request: StayRequest): Promise<ListingSnapshot> {
    const listing = isUuid(request.listingId) ? await em.findOne(ListingSnapshot, { listingId: request.listingId }) : null;
    if (!listing || !listing.published) throw new ListingUnavailable(request.listingId);
    if (request.guests > listing.capacity) throw new InvalidInput('guests', `this listing takes at most ${listing.capacity} guests`);
    return listing;
  }

  private findByKey(guestId: string, idempotencyKey: string): Promise<Booking | null> {
    return this.em.fork().findOne(Booking, { guestId, idempotencyKey });
  }

  private replay(existing: Booking, hash: string): Booking {
    if (existing.requestHash !== hash) throw new IdempotencyKeyReused('booking request');
    return existing;
  }
}
