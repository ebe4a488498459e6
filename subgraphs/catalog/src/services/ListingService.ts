import { randomUUID } from 'node:crypto';
import { findPage, type Connection, type ConnectionArgs } from '@booking/runtime';
import { raw, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Listing } from '../entities/Listing';

export interface NewListing {
  title: string;
  description: string;
  city: string;
  capacity: number;
  pricePerNight: { amount: number; currency: string };
  hostId: string;
}

export class ListingService {
  constructor(private readonly em: EntityManager) {}

  /** City matching ignores case, and uses the (lower(city), created_at, id) index. */
  list(args: ConnectionArgs & { city?: string | null }): Promise<Connection<Listing>> {
    const where: FilterQuery<Listing> = args.city ? { [raw('lower(city)')]: args.city.trim().toLowerCase() } : {};
    return findPage(this.em, Listing, where, args);
  }

  async create(input: NewListing): Promise<Listing> {
    const listing = this.em.create(Listing, {
      id: randomUUID(),
      title: input.title.trim(),
      description: input.description.trim(),
      city: input.city.trim(),
      capacity: input.capacity,
      priceAmount: input.pricePerNight.amount,
      priceCurrency: input.pricePerNight.currency,
      hostId: input.hostId,
      createdAt: new Date(),
    });
    await this.em.persistAndFlush(listing);
    return listing;
  }
}
