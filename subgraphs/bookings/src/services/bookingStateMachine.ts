import { DomainError } from '@booking/runtime';
import { BookingStatus } from '../entities/Booking';

/** HELD → CONFIRMED → COMPLETED; HELD → EXPIRED; HELD | CONFIRMED → CANCELLED. Nothing else. */
const ALLOWED: Readonly<Record<BookingStatus, readonly BookingStatus[]>> = {
  [BookingStatus.HELD]: [BookingStatus.CONFIRMED, BookingStatus.EXPIRED, BookingStatus.CANCELLED],
  [BookingStatus.CONFIRMED]: [BookingStatus.COMPLETED, BookingStatus.CANCELLED],
  [BookingStatus.COMPLETED]: [],
  [BookingStatus.CANCELLED]: [],
  [BookingStatus.EXPIRED]: [],
};

export class IllegalTransition extends DomainError {
  readonly code = 'ILLEGAL_TRANSITION';
  constructor(from: BookingStatus, to: BookingStatus) {
    super(`A ${from} booking cannot become ${to}`, { from, to });
  }
}

export function canTransition(from: BookingStatus, to: BookingStatus): boolean {
  return ALLOWED[from].includes(to);
}

export function assertTransition(from: BookingStatus, to: BookingStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransition(from, to);
}
