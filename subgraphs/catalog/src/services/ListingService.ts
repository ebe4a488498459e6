import { randomUUID } from 'node:crypto';
import { findPage, Forbidden, hasScope, InvalidInput, isUuid, recordEvent, type Connection, type ConnectionArgs, type Viewer } from '@booking/runtime';
import { LockMode, raw, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Category } from '../entities/Category';
import { Listing } from '../entities/Listing';

interface Amount {
  amount: number;
  currency: string;
}

export interface NewListing {
  title: string;
  description: string;
  city: string;
  country?: string | null;
  capacity: number;
  pricePerNight: Amount;
  cleaningFee?: Amount | null;
  hostId: string;
  publish?: boolean | null;
  category?: string | null;
}

export type ListingChanges = Partial<Omit<NewListing, 'hostId' | 'publish' | 'category'>>;

export class ListingNotFound extends InvalidInput {
  constructor() {
    super('id', 'no such listing');
  }
}

function checkCurrencies(price: Amount, fee: Amount | null | undefined): void {
  if (fee && fee.currency !== price.currency) throw new InvalidInput('cleaningFee.currency', 'must be the currency of pricePerNight');
}

export class ListingService {
  constructor(private readonly em: EntityManager) {}

  /** Published listings; city matching ignores case and uses the (lower(city), created_at, id) index. */
  list(args: ConnectionArgs & { city?: string | null }): Promise<Connection<Listing>> {
    const where: FilterQuery<Listing> = args.city ? { [raw('lower(city)')]: args.city.trim().toLowerCase(), published: true } : { published: true };
    return findPage(this.em, Listing, where, args);
  }

  async create(input: NewListing): Promise<Listing> {
    checkCurrencies(input.pricePerNight, input.cleaningFee);
    return this.em.transactional(async (tx) => {
      const category = input.category ? await tx.findOne(Category, { slug: input.category }) : null;
      if (input.category && !category) throw new InvalidInput('category', 'no such category');
      const listing = tx.create(Listing, {
        categoryId: category?.id ?? null,
        id: randomUUID(),
        title: input.title.trim(),
        description: input.description.trim(),
        city: input.city.trim(),
        country: (input.country ?? '').trim().toUpperCase(),
        capacity: input.capacity,
        priceAmount: input.pricePerNight.amount,
        priceCurrency: input.pricePerNight.currency,
        cleaningFeeAmount: input.cleaningFee?.amount ?? 0,
        hostId: input.hostId,
        published: input.publish ?? true,
        createdAt: new Date(),
      });
      await tx.flush();
      await announceListing(tx, listing);
      return listing;
    });
  }

  /** Only its host or an admin changes a listing; every change is announced to bookings. */
  async update(id: string, viewer: Viewer | null, changes: ListingChanges & { published?: boolean }): Promise<Listing> {
    // An id that is not a UUID names no listing (PostgreSQL would refuse to compare it).
    if (!isUuid(id)) throw new ListingNotFound();
    return this.em.transactional(async (tx) => {
      const listing = await tx.findOne(Listing, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!listing) throw new ListingNotFound();
      if (!viewer || (viewer.userId !== listing.hostId && !hasScope(viewer, 'admin'))) {
        throw new Forbidden('only the host of this listing or an admin may change it');
      }
      const price = changes.pricePerNight ?? { amount: listing.priceAmount, currency: listing.priceCurrency };
      checkCurrencies(price, changes.cleaningFee);
      if (changes.cleaningFee === undefined && changes.pricePerNight && changes.pricePerNight.currency !== listing.priceCurrency) {
        throw new InvalidInput('pricePerNight.currency', 'changing the currency needs a cleaningFee in the new currency');
      }
      if (changes.title !== undefined) listing.title = changes.title.trim();
      if (changes.description !== undefined) listing.description = changes.description.trim();
      if (changes.city !== undefined) listing.city = changes.city.trim();
      if (changes.country !== undefined && changes.country !== null) listing.country = changes.country.trim().toUpperCase();
      if (changes.capacity !== undefined) listing.capacity = changes.capacity;
      if (changes.pricePerNight) {
        listing.priceAmount = changes.pricePerNight.amount;
        listing.priceCurrency = changes.pricePerNight.currency;
      }
      if (changes.cleaningFee) listing.cleaningFeeAmount = changes.cleaningFee.amount;
      if (changes.published !== undefined) listing.published = changes.published;
      await tx.flush();
      await announceListing(tx, listing);
      return listing;
    });
  }
}

/** bookings prices and checks bookings from this, so it is sent with every change. */
export function announceListing(tx: EntityManager, listing: Listing) {
  return recordEvent(tx, 'catalog', 'listing.published', {
    listingId: listing.id,
    hostId: listing.hostId,
    title: listing.title,
    capacity: listing.capacity,
    nightlyPrice: { amount: listing.priceAmount, currency: listing.priceCurrency },
    cleaningFee: { amount: listing.cleaningFeeAmount, currency: listing.priceCurrency },
    published: listing.published,
  });
}
