import { randomUUID } from 'node:crypto';
import {
  Conflict,
  findPage,
  InvalidInput,
  PG_EXCLUSION_VIOLATION,
  postgresErrorCode,
  type Connection,
  type ConnectionArgs,
} from '@booking/runtime';
import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Booking, BookingStatus } from '../entities/Booking';

export interface BookingRequest {
  listingId: string;
  guestId: string;
  startsAt: Date;
  endsAt: Date;
}

const LONGEST_STAY_MS = 365 * 24 * 60 * 60 * 1000;

export class BookingConflict extends Conflict {
  constructor(listingId: string) {
    super('BOOKING_CONFLICT', 'The listing is already booked for part of that time range', { listingId });
  }
}

/** Rules of a booking request that need no I/O, kept apart so unit tests can cover them. */
export function checkBookingRequest(request: BookingRequest): void {
  if (Number.isNaN(request.startsAt.getTime())) throw new InvalidInput('startsAt', 'is not a valid date-time');
  if (Number.isNaN(request.endsAt.getTime())) throw new InvalidInput('endsAt', 'is not a valid date-time');
  if (request.endsAt.getTime() <= request.startsAt.getTime()) {
    throw new InvalidInput('endsAt', 'must be after startsAt');
  }
  if (request.endsAt.getTime() - request.startsAt.getTime() > LONGEST_STAY_MS) {
    throw new InvalidInput('endsAt', 'a booking may last at most 365 days');
  }
}

export class BookingService {
  constructor(private readonly em: EntityManager) {}

  list(args: ConnectionArgs, where: FilterQuery<Booking> = {}): Promise<Connection<Booking>> {
    return findPage(this.em, Booking, where, args);
  }

  async create(request: BookingRequest): Promise<Booking> {
    checkBookingRequest(request);
    const booking = this.em.create(Booking, {
      id: randomUUID(),
      listingId: request.listingId,
      guestId: request.guestId,
      startsAt: request.startsAt,
      endsAt: request.endsAt,
      status: BookingStatus.HELD,
      createdAt: new Date(),
    });
    try {
      await this.em.persistAndFlush(booking);
    } catch (error) {
      // The EXCLUDE constraint is the arbiter under concurrency; MikroORM does not map 23P01.
      if (postgresErrorCode(error) === PG_EXCLUSION_VIOLATION) throw new BookingConflict(request.listingId);
      throw error;
    }
    return booking;
  }
}
