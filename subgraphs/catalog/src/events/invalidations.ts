import type { EntityReference, EventEnvelope, ListingPublishedV1 } from '@booking/runtime';

/** Every listing change (edit, publish, unpublish) is one `listing.published` event: evict that listing. */
export function catalogInvalidations(event: EventEnvelope): EntityReference[] {
  if (event.type !== 'listing.published') return [];
  const payload = event.payload as ListingPublishedV1;
  return [{ typename: 'Listing', key: { id: payload.listingId } }];
}
