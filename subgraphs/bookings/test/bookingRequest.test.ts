import { checkBookingRequest, earliestStart } from '../src/services/BookingService';

const base = { listingId: 'l', guestId: 'g' };
/** The rules are checked as of this moment, so the cases never age. */
const NOW = new Date('2026-12-04T09:30:00Z');

describe('booking request rules (no I/O)', () => {
  it('accepts a range that ends after it starts', () => {
    expect(() => checkBookingRequest({ ...base, startsAt: new Date('2027-01-01'), endsAt: new Date('2027-01-02') }, NOW)).not.toThrow();
  });

  it('accepts a stay that began earlier today (UTC) and ends later', () => {
    expect(() => checkBookingRequest({ ...base, startsAt: new Date('2026-12-04T00:00:00Z'), endsAt: new Date('2026-12-05T11:00:00Z') }, NOW)).not.toThrow();
  });

  it('starts the day at 00:00 UTC', () => {
    expect(earliestStart(NOW).toISOString()).toBe('2026-12-04T00:00:00.000Z');
  });

  it.each([
    ['an empty range', '2027-01-01', '2027-01-01', 'endsAt: must be after startsAt'],
    ['a reversed range', '2027-01-02', '2027-01-01', 'endsAt: must be after startsAt'],
    ['a stay over a year', '2027-01-01', '2028-01-03', 'endsAt: a booking may last at most 365 days'],
    ['an invalid start', 'nonsense', '2028-01-03', 'startsAt: is not a valid date-time'],
    ['a stay in 2020', '2020-03-01T15:00:00Z', '2020-03-04T11:00:00Z', 'startsAt: is in the past'],
    ['a stay from yesterday (UTC)', '2026-12-03T23:59:59Z', '2026-12-06T11:00:00Z', 'startsAt: is in the past'],
    ['a stay today that is over', '2026-12-04T01:00:00Z', '2026-12-04T09:30:00Z', 'endsAt: is in the past'],
  ])('rejects %s', (_name, startsAt, endsAt, message) => {
    expect(() => checkBookingRequest({ ...base, startsAt: new Date(startsAt), endsAt: new Date(endsAt) }, NOW)).toThrow(message);
  });
});
