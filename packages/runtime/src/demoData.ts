import { createHash } from 'node:crypto';

/**
 * Deterministic UUIDs for demo data, so the four subgraphs' seeds agree on each other's ids
 * without sharing a database, and seeding twice finds the same rows.
 */
export function demoId(kind: string, name: string): string {
  const hex = createHash('sha256').update(`booking-supergraph:${kind}:${name}`).digest('hex');
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When a demo stay starts: 15:00 UTC, `daysAhead` days after the day the demo data is seeded.
 * Fixed dates would age into the past (a HELD demo booking expiring at the first start, stays
 * no guest could still make); bookings and billing seed the same stay from the same offset.
 */
export function demoStayStart(daysAhead: number, seededAt: Date = new Date()): Date {
  return new Date(Math.floor(seededAt.getTime() / DAY_MS) * DAY_MS + daysAhead * DAY_MS + 15 * 60 * 60 * 1000);
}
