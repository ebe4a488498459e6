import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityClass, EntityDictionary, EntityName, FilterQuery } from '@mikro-orm/core';
import { afterCursor, connectionOf, type Connection, type Paginated } from '../graphql/connection';

/**
 * DataLoader factories: each turns N lookups made while resolving one request into one
 * `WHERE key IN (...)` statement. Created per request (see SubgraphContext).
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Ids are UUIDs; anything else cannot exist, so it resolves to null without a query. */
export function loaderById<T extends { id: string }>(em: EntityManager, entity: EntityName<T>): DataLoader<string, T | null> {
  return loaderByUniqueKey(em, entity, 'id');
}

/** For keys that are UUID columns (ids and foreign ids). */
export function loaderByUniqueKey<T extends object, K extends keyof T & string>(
  em: EntityManager,
  entity: EntityName<T>,
  key: K,
): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (keys) => {
    const wanted = keys.filter(isUuid);
    const rows = wanted.length === 0 ? [] : await em.find(entity, { [key]: { $in: wanted } } as FilterQuery<T>);
    const byKey = new Map(rows.map((row) => [String(row[key]), row]));
    return keys.map((value) => byKey.get(value) ?? null);
  });
}

export function loaderOfMany<T extends { id: string; createdAt: Date }, K extends keyof T & string>(
  em: EntityManager,
  entity: EntityName<T>,
  key: K,
): DataLoader<string, T[]> {
  return new DataLoader<string, T[]>(async (keys) => {
    const wanted = keys.filter(isUuid);
    if (wanted.length === 0) return keys.map(() => []);
    const rows = await em.find(entity, { [key]: { $in: wanted } } as FilterQuery<T>, {
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] as never,
    });
    const groups = new Map<string, T[]>(keys.map((value) => [value, []]));
    for (const row of rows) groups.get(String(row[key]))?.push(row);
    return keys.map((value) => groups.get(value) ?? []);
  });
}

/** One parent's page: the parent's key and the field's connection arguments. */
export interface PageRequest {
  readonly key: string;
  readonly first: number;
  readonly after?: string | null;
}

/**
 * Pages of children per parent key (`User.bookingsConnection`, …) in one statement per batch:
 * a window function ranks each parent's rows in (createdAt, id) order after that parent's
 * cursor, and only the first `first + 1` of each come back. `visible` narrows rows to what the
 * request's viewer may see, in SQL, so pages are never short because of filtering afterwards.
 */
export function loaderOfPages<T extends Paginated, K extends keyof T & string>(
  em: EntityManager,
  entity: EntityClass<T>,
  key: K,
  visible: FilterQuery<T> = {},
): DataLoader<PageRequest, Connection<T>, string> {
  const cacheKey = (request: PageRequest) => JSON.stringify([request.key, request.first, request.after ?? null]);
  return new DataLoader<PageRequest, Connection<T>, string>(
    async (requests) => {
      const pages = new Map<string, Connection<T>>();
      // A parent asked for twice with different cursors needs two rankings: one round each.
      let pending = requests.filter((request) => isUuid(request.key));
      while (pending.length > 0) {
        const round = new Map<string, PageRequest>();
        const later: PageRequest[] = [];
        for (const request of pending) {
          if (round.has(request.key)) later.push(request);
          else round.set(request.key, request);
        }
        const rows = await rankedRows(em, entity, key, visible, [...round.values()]);
        for (const request of round.values()) pages.set(cacheKey(request), connectionOf(rows.get(request.key) ?? [], request.first));
        pending = later;
      }
      return requests.map((request) => pages.get(cacheKey(request)) ?? connectionOf<T>([], request.first));
    },
    { cacheKeyFn: cacheKey },
  );
}

async function rankedRows<T extends Paginated, K extends keyof T & string>(
  em: EntityManager,
  entity: EntityClass<T>,
  key: K,
  visible: FilterQuery<T>,
  requests: readonly PageRequest[],
): Promise<Map<string, T[]>> {
  const meta = em.getMetadata().get<T>(entity.name);
  const properties: Readonly<Record<string, { fieldNames: string[] } | undefined>> = meta.properties;
  const column = (name: string) => properties[name]?.fieldNames[0] ?? name;
  const fromStart = requests.filter((request) => !request.after).map((request) => request.key);
  const parents: FilterQuery<T>[] = requests
    .filter((request) => request.after)
    .map((request) => ({ $and: [{ [key]: request.key }, afterCursor<T>(request.after as string)] }) as FilterQuery<T>);
  if (fromStart.length > 0) parents.push({ [key]: { $in: fromStart } } as FilterQuery<T>);
  const largestPage = Math.max(...requests.map((request) => request.first));
  const knex = em.getKnex();
  const ranked = em
    .createQueryBuilder(entity, 'e')
    .select('e.*')
    .where({ $and: [visible, { $or: parents }] } as FilterQuery<T>)
    .getKnexQuery()
    .select(
      knex.raw(`row_number() over (partition by ?? order by ?? asc, ?? asc) as page_rank`, [
        `e.${column(key)}`,
        `e.${column('createdAt')}`,
        `e.${column('id')}`,
      ]),
    );
  const statement = knex
    .select('*')
    .from(ranked.as('ranked'))
    .where('page_rank', '<=', largestPage + 1)
    .orderBy([column(key), column('createdAt'), column('id')]);
  const rows: EntityDictionary<T>[] = await em.getConnection().execute(statement);
  const byKey = new Map<string, T[]>();
  for (const { page_rank: _rank, ...row } of rows as (EntityDictionary<T> & { page_rank?: unknown })[]) {
    const item = em.map(entity, row as EntityDictionary<T>);
    const parent = String(item[key]);
    const list = byKey.get(parent);
    if (list) list.push(item);
    else byKey.set(parent, [item]);
  }
  return byKey;
}
