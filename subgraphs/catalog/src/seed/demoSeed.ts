import { demoId, insertMissing } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Listing } from '../entities/Listing';
import { announceListing } from '../services/ListingService';

export const DEMO_LISTINGS = [
  { name: 'alfama-loft', title: 'Alfama loft with river view', city: 'Lisbon', capacity: 2, price: 9500, host: 'hana' },
  { name: 'lisbon-desk', title: 'Quiet desk in Cais do Sodré', city: 'Lisbon', capacity: 1, price: 2500, host: 'omar' },
  { name: 'kreuzberg-flat', title: 'Kreuzberg flat near the canal', city: 'Berlin', capacity: 4, price: 12000, host: 'omar' },
  { name: 'berlin-van', title: 'Camper van for Brandenburg lakes', city: 'Berlin', capacity: 2, price: 8000, host: 'hana' },
  { name: 'kyoto-machiya', title: 'Machiya townhouse in Higashiyama', city: 'Kyoto', capacity: 5, price: 21000, host: 'hana' },
  { name: 'kyoto-tea-tour', title: 'Morning tea ceremony tour', city: 'Kyoto', capacity: 8, price: 6000, host: 'omar' },
] as const;

/** Adds the demo listings that are missing; an existing one (edited, unpublished) is left alone. */
export async function seedDemo(em: EntityManager): Promise<void> {
  await em.transactional(async (tx) => {
    const inserted = await insertMissing(
      tx,
      Listing,
      DEMO_LISTINGS.map((listing, index) => ({
        id: demoId('listing', listing.name),
        title: listing.title,
        description: `${listing.title}. Demo listing hosted by ${listing.host}.`,
        city: listing.city,
        capacity: listing.capacity,
        priceAmount: listing.price,
        priceCurrency: 'EUR',
        cleaningFeeAmount: 3000,
        country: { Lisbon: 'PT', Berlin: 'DE', Kyoto: 'JP' }[listing.city],
        published: true,
        hostId: demoId('user', listing.host),
        createdAt: new Date(Date.UTC(2026, 0, 2, 0, index)),
      })),
    );
    // bookings learns prices and hosts of new listings from these events, as for any new listing.
    for (const listing of await tx.find(Listing, { id: { $in: inserted } })) await announceListing(tx, listing);
  });
}
