import type { Database } from '@booking/runtime';

export interface SqlCounter {
  readonly statements: string[];
  reset(): void;
  detach(): void;
}

/** Records every SQL statement a subgraph's database connection sends. */
export function countSql(database: Database): SqlCounter {
  const knex = database.em.getConnection().getKnex();
  const statements: string[] = [];
  const listener = (query: { sql: string }) => statements.push(query.sql);
  knex.on('query', listener);
  return {
    statements,
    reset: () => statements.splice(0),
    detach: () => knex.removeListener('query', listener),
  };
}
