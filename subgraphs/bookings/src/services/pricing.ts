import type { BookingPriceV1 } from '@booking/runtime';
import type { ListingSnapshot } from '../entities/ListingSnapshot';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A stay is charged per started 24 hours (at least one night), plus the cleaning fee once. */
export function nightsBetween(startsAt: Date, endsAt: Date): number {
  return Math.max(1, Math.ceil((endsAt.getTime() - startsAt.getTime()) / DAY_MS));
}

export function priceStay(listing: ListingSnapshot, startsAt: Date, endsAt: Date): BookingPriceV1 {
  const nights = nightsBetween(startsAt, endsAt);
  const currency = listing.currency;
  return {
    nights,
    nightly: { amount: listing.nightlyAmount, currency },
    cleaningFee: { amount: listing.cleaningFeeAmount, currency },
    total: { amount: nights * listing.nightlyAmount + listing.cleaningFeeAmount, currency },
  };
}
