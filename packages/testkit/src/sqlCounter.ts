import type { Database } from '@booking/runtime';

export interface SqlCounter {
  readonly statements: string[];
  reset(): void;
  detach(): void;
}

/** Background work (outbox relay, event consumers, hold expiry) polls the same pool. */
const BACKGROUND = /outbox_events|inbox_events|pg_try_advisory_xact_lock|^(begin|commit|rollback)\b|"hold_expires_at" <=/i;

/** Records every SQL statement a subgraph's database connection sends for requests. */
export function countSql(database: Database): SqlCounter {
  const knex = database.em.getConnection().getKnex();
  const statements: string[] = [];
  const listener = (query: { sql: string }) => {
    if (!BACKGROUND.test(query.sql)) statements.push(query.sql);
  };
  knex.on('query', listener);
  return {
    statements,
    reset: () => statements.splice(0),
    detach: () => knex.removeListener('query', listener),
  };
}
