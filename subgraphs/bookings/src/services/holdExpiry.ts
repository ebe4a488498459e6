import { recordEvent, type Database, type Logger } from '@booking/runtime';
import { LockMode } from '@mikro-orm/core';
import { Booking, BookingStatus } from '../entities/Booking';
import { statusEvent } from './BookingService';

/**
 * Releases holds whose deadline passed. Safe on many instances at once: each batch claims rows
 * with FOR UPDATE SKIP LOCKED, so two instances never expire (or announce) the same hold, and a
 * hold being paid at this moment (row locked by the confirmation) is skipped until next time.
 */
export async function expireHolds(database: Database, now: Date = new Date(), batchSize = 100): Promise<number> {
  return database.em.fork().transactional(async (tx) => {
    const due = await tx.find(
      Booking,
      { status: BookingStatus.HELD, holdExpiresAt: { $lte: now } },
      { orderBy: { holdExpiresAt: 'asc' }, limit: batchSize, lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE },
    );
    for (const booking of due) {
      booking.status = BookingStatus.EXPIRED;
      booking.holdExpiresAt = null;
      booking.updatedAt = now;
    }
    await tx.flush();
    for (const booking of due) await recordEvent(tx, 'bookings', 'booking.status_changed', statusEvent(booking));
    return due.length;
  });
}

export class HoldExpiryJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.tick().finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    try {
      let expired = 0;
      do {
        expired = await expireHolds(this.database);
        if (expired > 0) this.logger.info({ expired }, 'expired booking holds');
      } while (expired === 100);
    } catch (error) {
      this.logger.error({ err: error }, 'hold expiry failed; will retry');
    }
  }
}
