import { checkBookingRequest } from '../src/services/BookingService';

const base = { listingId: 'l', guestId: 'g' };

describe('booking request rules (no I/O)', () => {
  it('accepts a range that ends after it starts', () => {
    expect(() => checkBookingRequest({ ...base, startsAt: new Date('2027-01-01'), endsAt: new Date('2027-01-02') })).not.toThrow();
  });

  it.each([
    ['an empty range', '2027-01-01', '2027-01-01', 'endsAt: must be after startsAt'],
    ['a reversed range', '2027-01-02', '2027-01-01', 'endsAt: must be after startsAt'],
    ['a stay over a year', '2027-01-01', '2028-01-03', 'endsAt: a booking may last at most 365 days'],
    ['an invalid start', 'nonsense', '2028-01-03', 'startsAt: is not a valid date-time'],
  ])('rejects %s', (_name, startsAt, endsAt, message) => {
    expect(() => checkBookingRequest({ ...base, startsAt: new Date(startsAt), endsAt: new Date(endsAt) })).toThrow(message);
  });
});
