export type CancelledBy = 'GUEST' | 'HOST' | 'ADMIN';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How much of a paid stay comes back on cancellation: everything when the host or an admin
 * cancels; for a guest, everything a week or more ahead, half two days or more ahead, else nothing.
 */
export function refundShare(cancelledBy: CancelledBy, cancelledAt: Date, stayStartsAt: Date): number {
  if (cancelledBy !== 'GUEST') return 1;
  const notice = stayStartsAt.getTime() - cancelledAt.getTime();
  if (notice >= 7 * DAY_MS) return 1;
  if (notice >= 2 * DAY_MS) return 0.5;
  return 0;
}

/** Minor units, rounded down: the platform never refunds a fraction of a cent more than due. */
export function refundAmount(paid: number, share: number): number {
  return Math.floor(paid * share);
}
