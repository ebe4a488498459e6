import type { EventEnvelope, EventHandler } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ListingSnapshot } from '../entities/ListingSnapshot';
import { BookingService } from '../services/BookingService';

/** catalog → bookings: keep the listing facts bookings prices and checks with. */
export const onCatalogEvent: EventHandler = async (event: EventEnvelope, tx: EntityManager) => {
  if (event.type !== 'listing.published') return;
  const listing = (event as EventEnvelope<'catalog', 'listing.published'>).payload;
  await tx.upsert(ListingSnapshot, {
    listingId: listing.listingId,
    hostId: listing.hostId,
    title: listing.title,
    capacity: listing.capacity,
    nightlyAmount: listing.nightlyPrice.amount,
    cleaningFeeAmount: listing.cleaningFee.amount,
    currency: listing.nightlyPrice.currency,
    published: listing.published,
    updatedAt: new Date(event.occurredAt),
  });
};

/** billing → bookings: a paid invoice confirms its held booking. */
export const onBillingEvent: EventHandler = async (event: EventEnvelope, tx: EntityManager) => {
  if (event.type !== 'invoice.settled') return;
  const settled = (event as EventEnvelope<'billing', 'invoice.settled'>).payload;
  if (settled.status === 'PAID') await new BookingService(tx).confirmPaid(settled.bookingId, tx);
};
