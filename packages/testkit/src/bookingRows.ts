import { randomUUID } from 'node:crypto';
import type { RunningSubgraph } from './stack';

export interface BookingRows {
  readonly guestId: string;
  readonly count: number;
  readonly listingId?: string;
  readonly hostId?: string;
}

/**
 * Writes `count` COMPLETED bookings of one guest straight into the bookings database (past
 * stays, so the no-overlap constraint does not apply), created one second apart in order.
 * For tests that need many rows, not the booking flow. Resolves to their ids, oldest first.
 */
export async function insertBookingRows(bookings: RunningSubgraph, rows: BookingRows): Promise<string[]> {
  const listingId = rows.listingId ?? randomUUID();
  const hostId = rows.hostId ?? randomUUID();
  const result: { id: string }[] = await bookings.server.database.em
    .fork()
    .getConnection()
    .execute(
      `insert into bookings (id, listing_id, guest_id, starts_at, ends_at, status, host_id, guests, nights, total_amount, currency, updated_at, created_at)
       select gen_random_uuid(), ?, ?, timestamptz '2020-01-01' + n * interval '1 day', timestamptz '2020-01-02' + n * interval '1 day',
              'COMPLETED', ?, 1, 1, 12500, 'EUR', now(), timestamptz '2020-01-01' + n * interval '1 second'
       from generate_series(1, ?) as n
       order by n
       returning id`,
      [listingId, rows.guestId, hostId, rows.count],
    );
  return result.map((row) => row.id);
}
