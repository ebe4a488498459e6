import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import type { EntityClass, MigrationObject } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { GraphQLSchema } from 'graphql';
import type { SubgraphConfig, SubgraphName } from './config/subgraphConfig';
import { createFormatError } from './errors/formatError';
import { createGraphQLHttpServer, sendJson } from './http/graphqlHttpServer';
import { createLogger, type Logger } from './logger';
import { isDatabaseReachable, migrateToLatest, openDatabase, type Database } from './orm/database';
import { buildFederatedSchema, type FederatedSchemaOptions } from './schema/federatedSchema';

/** The small, typed per-request context every resolver receives. */
export interface SubgraphContext<Loaders> {
  /** A fork of the identity map for this request only. */
  readonly em: EntityManager;
  /** Fresh DataLoaders for this request only, so batching never leaks data across requests. */
  readonly loaders: Loaders;
}

/** What a subgraph package provides; the runtime does the plumbing around it. */
export interface SubgraphDefinition<Loaders> {
  readonly name: SubgraphName;
  readonly entities: readonly EntityClass<object>[];
  readonly migrations: readonly MigrationObject[];
  buildSchema(): Promise<GraphQLSchema>;
  createLoaders(em: EntityManager): Loaders;
  /** Idempotent demo data for `npm start`; safe to run on every boot. */
  seedDemo?(em: EntityManager): Promise<void>;
}

export interface SubgraphServer {
  readonly name: SubgraphName;
  readonly database: Database;
  readonly logger: Logger;
  /** Resolves to the base URL (`http://host:port`); GraphQL is at `${url}/graphql`. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function createSubgraphServer<Loaders>(
  definition: SubgraphDefinition<Loaders>,
  config: SubgraphConfig,
): Promise<SubgraphServer> {
  const logger = createLogger(definition.name, config.logLevel);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    entities: definition.entities,
    migrations: definition.migrations,
    logger,
  });
  try {
    const applied = await migrateToLatest(database, config.databaseUrl);
    if (applied.length > 0) logger.info({ applied }, 'applied migrations');
    if (config.seedDemo && definition.seedDemo) {
      await definition.seedDemo(database.em.fork());
      logger.info('demo data present');
    }
  } catch (error) {
    await database.close(true);
    throw error;
  }

  const schema = await definition.buildSchema();
  type Context = SubgraphContext<Loaders>;
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: true,
    formatError: createFormatError(logger),
    logger,
  });
  await apollo.start();

  const http = createGraphQLHttpServer<Context>({
    apollo,
    logger,
    context: async (_request: IncomingMessage) => {
      const em = database.em.fork();
      return { em, loaders: definition.createLoaders(em) };
    },
    routes: {
      '/health': (_request, response) => sendJson(response, 200, { status: 'ok', service: definition.name }),
      '/ready': async (_request, response) => {
        const ready = await isDatabaseReachable(database);
        sendJson(response, ready ? 200 : 503, { status: ready ? 'ready' : 'database unreachable', service: definition.name });
      },
    },
  });

  return {
    name: definition.name,
    database,
    logger,
    async listen() {
      const url = await http.listen(config.port, config.host);
      logger.info({ url: `${url}/graphql` }, 'subgraph listening');
      return url;
    },
    async close() {
      await http.close();
      await apollo.stop();
      await database.close(true);
    },
  };
}

export interface SubgraphModule<Loaders> {
  readonly definition: SubgraphDefinition<Loaders>;
  buildSchema(): Promise<GraphQLSchema>;
  createServer(config: SubgraphConfig): Promise<SubgraphServer>;
}

/**
 * What each subgraph package exports: its schema factory (tests and the SDL printer build it
 * in-process) and a server factory (its `main.ts` only reads config and listens).
 */
export function defineSubgraph<Loaders>(
  options: Omit<SubgraphDefinition<Loaders>, 'buildSchema'> & {
    readonly schema: FederatedSchemaOptions<SubgraphContext<Loaders>>;
  },
): SubgraphModule<Loaders> {
  const { schema, ...rest } = options;
  const definition: SubgraphDefinition<Loaders> = { ...rest, buildSchema: () => buildFederatedSchema(schema) };
  return {
    definition,
    buildSchema: definition.buildSchema,
    createServer: (config) => createSubgraphServer(definition, config),
  };
}
