import { recordEvent, type Database, type Logger, type ServiceMetrics } from '@booking/runtime';
import { Counter } from 'prom-client';
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

/** What one run of the job did: released holds, found none due, or failed (retried next tick). */
type HoldExpiryOutcome = 'released' | 'idle' | 'failed';

/** The job's counters, on the subgraph's registry (served at /metrics). */
class HoldExpiryMetrics {
  private readonly runs: Record<HoldExpiryOutcome, Counter.Internal>;
  readonly released: Counter;

  constructor(metrics: ServiceMetrics) {
    const registers = [metrics.registry];
    const runs = new Counter({ name: 'hold_expiry_runs_total', help: 'Runs of the hold expiry job, by outcome (released, idle, failed)', labelNames: ['outcome'], registers });
    this.runs = { released: runs.labels('released'), idle: runs.labels('idle'), failed: runs.labels('failed') };
    this.released = new Counter({ name: 'hold_expiry_released_holds_total', help: 'Booking holds released (EXPIRED) by the hold expiry job', registers });
  }

  ran(outcome: HoldExpiryOutcome): void {
    this.runs[outcome].inc();
  }
}

export class HoldExpiryJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly metrics: HoldExpiryMetrics | undefined;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    metrics?: ServiceMetrics,
  ) {
    this.metrics = metrics ? new HoldExpiryMetrics(metrics) : undefined;
  }

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
    let total = 0;
    try {
      let expired = 0;
      do {
        expired = await expireHolds(this.database);
        total += expired;
        if (expired > 0) this.logger.info({ expired }, 'expired booking holds');
      } while (expired === 100);
    } catch (error) {
      this.logger.error({ err: error }, 'hold expiry failed; will retry');
      this.metrics?.released.inc(total);
      this.metrics?.ran('failed');
      return;
    }
    this.metrics?.released.inc(total);
    this.metrics?.ran(total > 0 ? 'released' : 'idle');
  }
}
