import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { EntityClass, MigrationObject } from '@mikro-orm/core';
import type { Logger } from '../logger';

export interface DatabaseOptions {
  readonly databaseUrl: string;
  readonly entities: readonly EntityClass<object>[];
  /** Committed migrations, listed in code so the built JS and the TS sources run the same set. */
  readonly migrations: readonly MigrationObject[];
  readonly logger: Logger;
  readonly poolSize?: number;
}

export type Database = MikroORM;

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const config: Options = {
    clientUrl: options.databaseUrl,
    entities: [...options.entities],
    extensions: [Migrator],
    // Every request works on its own fork; the global manager must never be used by mistake.
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: true, disableDynamicFileAccess: true },
    pool: { min: 0, max: options.poolSize ?? 10 },
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

/** Applies pending committed migrations; never `schema:update` at run time. */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const applied = await database.getMigrator().up();
  return applied.map((migration) => migration.name);
}

export async function isDatabaseReachable(database: Database): Promise<boolean> {
  try {
    await database.em.getConnection().execute('select 1');
    return true;
  } catch {
    return false;
  }
}
