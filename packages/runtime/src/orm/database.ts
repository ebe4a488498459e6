import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { EntityClass, MigrationObject } from '@mikro-orm/core';
import { Client } from 'pg';
import type { Logger } from '../logger';

export interface DatabaseOptions {
  readonly databaseUrl: string;
  readonly entities: readonly EntityClass<object>[];
  /** Committed migrations, listed in code so the built JS and the TS sources run the same set. */
  readonly migrations: readonly MigrationObject[];
  readonly logger: Logger;
  readonly poolSize?: number;
  /**
   * PostgreSQL `statement_timeout` of every pooled connection (request work, background jobs):
   * a statement running longer is canceled by the server (SQLSTATE 57014, STATEMENT_TIMEOUT).
   * Migrations lift it for their own transaction; the migration lock and the outbox LISTEN use
   * connections of their own, outside the pool.
   */
  readonly statementTimeoutMs?: number;
}


export type Database = MikroORM;

/** The node-postgres client knex hands to `pool.afterCreate`. */
interface PooledConnection {
  query(sql: string, callback: (error: Error | null) => void): void;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const config: Options = {
    clientUrl: options.databaseUrl,
    entities: [...options.entities],
    extensions: [Migrator],
    // Every request works on its own fork; the global manager must never be used by mistake.
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: true, disableDynamicFileAccess: true },
    pool: {
      min: 0,
      max: options.poolSize ?? 10,
      afterCreate: (connection: PooledConnection, done: (error: Error | null, connection: PooledConnection) => void) => {
        const timeoutMs = Math.max(0, Math.floor(options.statementTimeoutMs ?? 0));
        connection.query(`set statement_timeout = ${timeoutMs}`, (error) => done(error, connection));
      },
    },
    debug: false,
    logger: (message) => options.logger.debug(message),
    migrations: {
      migrationsList: [...options.migrations],
      tableName: 'schema_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    schemaGenerator: { disableForeignKeys: false },
  };
  return MikroORM.init(config);
}

/** Any constant works; it only has to be the same for every instance of every subgraph. */
const MIGRATION_LOCK_KEY = 727_274_001;

/**
 * Applies pending committed migrations; never `schema:update` at run time. Several instances
 * may start at once (a Deployment rolling out), so a session-level advisory lock, held on a
 * connection of its own, lets exactly one of them migrate while the others wait.
 */
export async function migrateToLatest(database: Database, databaseUrl: string): Promise<string[]> {
  const lock = new Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const connection = database.em.getConnection();
    // A migration may rewrite a big table; the request statement_timeout is not meant for it.
    const applied = await connection.transactional(async (transaction) => {
      await connection.execute('set local statement_timeout = 0', [], 'run', transaction);
      return database.getMigrator().up({ transaction });
    });
    return applied.map((migration) => migration.name);
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}

/** Resolves to null while the database answers a query, else to why it does not (for /ready). */
export async function databaseUnreachable(database: Database): Promise<string | null> {
  try {
    await database.em.getConnection().execute('select 1');
    return null;
  } catch (error) {
    return `unreachable (${(error as Error).message})`;
  }
}
