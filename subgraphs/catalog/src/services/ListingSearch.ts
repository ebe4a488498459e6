import { InvalidInput } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Listing } from '../entities/Listing';

export enum ListingSort {
  PRICE_ASC = 'PRICE_ASC',
  PRICE_DESC = 'PRICE_DESC',
  NEWEST = 'NEWEST',
}

export interface SearchCriteria {
  city?: string | null;
  country?: string | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
  guests?: number | null;
  minPrice?: number | null;
  maxPrice?: number | null;
  categorySlug?: string | null;
  sort: ListingSort;
  first: number;
  after?: string | null;
}

export interface SearchPage {
  edges: { cursor: string; node: Listing }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

type Position = [sort: ListingSort, key: number | string, id: string];

function encode(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function decode(cursor: string, sort: ListingSort): Position {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 3 && value[0] === sort && typeof value[2] === 'string') return value as Position;
  } catch {
    // reported below
  }
  throw new InvalidInput('after', 'is not a cursor of this search and sort');
}

/**
 * Finds published listings that fit the stay. Availability comes from `listing_occupancy`,
 * which catalog keeps from bookings' events: one indexed query in catalog's own database,
 * pageable and sortable, which federation (filtering across two subgraphs) could not give.
 * It may lag bookings by the event latency; bookings' EXCLUDE constraint still decides, so a
 * stale result costs at most a BOOKING_CONFLICT.
 */
export async function searchListings(em: EntityManager, criteria: SearchCriteria): Promise<SearchPage> {
  if ((criteria.startsAt == null) !== (criteria.endsAt == null)) {
    throw new InvalidInput(criteria.startsAt ? 'endsAt' : 'startsAt', 'give both startsAt and endsAt, or neither');
  }
  if (criteria.startsAt && criteria.endsAt && criteria.endsAt <= criteria.startsAt) throw new InvalidInput('endsAt', 'must be after startsAt');
  if (criteria.minPrice != null && criteria.maxPrice != null && criteria.maxPrice < criteria.minPrice) {
    throw new InvalidInput('maxPrice', 'must not be below minPrice');
  }
  const where: string[] = ['l.published'];
  const params: unknown[] = [];
  if (criteria.city) {
    where.push('lower(l.city) = ?');
    params.push(criteria.city.trim().toLowerCase());
  }
  if (criteria.country) {
    where.push('l.country = ?');
    params.push(criteria.country.trim().toUpperCase());
  }
  if (criteria.guests) {
    where.push('l.capacity >= ?');
    params.push(criteria.guests);
  }
  if (criteria.minPrice != null) {
    where.push('l.price_amount >= ?');
    params.push(criteria.minPrice);
  }
  if (criteria.maxPrice != null) {
    where.push('l.price_amount <= ?');
    params.push(criteria.maxPrice);
  }
  if (criteria.categorySlug) {
    where.push('l.category_id = (select id from categories where slug = ?)');
    params.push(criteria.categorySlug);
  }
  if (criteria.startsAt && criteria.endsAt) {
    where.push(`not exists (select 1 from listing_occupancy o where o.active and o.listing_id = l.id
      and tstzrange(o.starts_at, o.ends_at) && tstzrange(?, ?))`);
    params.push(criteria.startsAt.toISOString(), criteria.endsAt.toISOString());
  }
  const [column, direction] =
    criteria.sort === ListingSort.NEWEST ? ['l.created_at', 'desc'] : ['l.price_amount', criteria.sort === ListingSort.PRICE_ASC ? 'asc' : 'desc'];
  if (criteria.after) {
    const [, key, id] = decode(criteria.after, criteria.sort);
    const comparison = direction === 'asc' ? '>' : '<';
    where.push(`(${column}, l.id) ${comparison} (?, ?)`);
    params.push(criteria.sort === ListingSort.NEWEST ? new Date(String(key)).toISOString() : key, id);
  }
  const rows = await em.execute<Record<string, unknown>[]>(
    `select l.* from listings l where ${where.join(' and ')} order by ${column} ${direction}, l.id ${direction} limit ?`,
    [...params, criteria.first + 1],
  );
  const listings = rows.slice(0, criteria.first).map((row) => em.map(Listing, row));
  const edges = listings.map((node) => ({
    node,
    cursor: encode([criteria.sort, criteria.sort === ListingSort.NEWEST ? node.createdAt.toISOString() : node.priceAmount, node.id]),
  }));
  return { edges, pageInfo: { hasNextPage: rows.length > criteria.first, endCursor: edges[edges.length - 1]?.cursor ?? null } };
}
