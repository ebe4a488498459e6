import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityName, RequiredEntityData } from '@mikro-orm/core';

/**
 * Creates the rows whose `id` is not taken yet and leaves every existing row exactly as it is;
 * returns the ids it created. Demo seeds use it because they run on every start: a demo booking
 * that has since been completed must stay completed, not be rewritten behind its outbox's back.
 * Rows go through `em.create`, so entity defaults (timestamps, versions) apply as for real ones.
 */
export async function insertMissing<T extends { id: string }>(
  em: EntityManager,
  entity: EntityName<T>,
  rows: (RequiredEntityData<T> & { id: string })[],
): Promise<string[]> {
  if (rows.length === 0) return [];
  return em.transactional(async (tx) => {
    const existing = await tx.find(entity, { id: { $in: rows.map((row) => row.id) } } as never, { fields: ['id'] as never });
    const taken = new Set(existing.map((row) => row.id));
    const missing = rows.filter((row) => !taken.has(row.id));
    for (const row of missing) tx.create(entity, row);
    await tx.flush();
    return missing.map((row) => row.id);
  });
}
