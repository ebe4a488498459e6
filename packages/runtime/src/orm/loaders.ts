import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityName, FilterQuery } from '@mikro-orm/core';

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
