import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import type { EntityClass, MigrationObject } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { PubSubEngine } from 'graphql-subscriptions';
import type { EventEnvelope, StreamName } from './events/contracts';
import { inMemoryPubSubEngine, redisPubSubEngine } from './live/livePubSubEngines';
import { LiveUpdates, type LiveUpdate } from './live/liveUpdates';
import { attachSubscriptionServer } from './live/subscriptionServer';
import type { EventStreams } from './events/eventStreams';
import { inMemoryEventTransport, redisEventTransport, type EventTransport } from './events/eventTransport';
import { InMemoryStreamStore } from './events/inMemoryEventStreams';
import { OutboxRelay } from './events/outboxRelay';
import { EntityInvalidationPublisher, type EntityInvalidations } from './events/entityInvalidationPublisher';
import { StreamConsumer, type EventHandler } from './events/streamConsumer';
import { RouterCallVerifier, unsignedViewer } from './auth/routerSignature';
import type { Viewer } from './auth/viewer';
import { ConfigError, type Env } from './config/env';
import { eventTransportProblems, type SubgraphConfig, type SubgraphName } from './config/subgraphConfig';
import { createFormatError } from './errors/formatError';
import { refuseUnstorableText } from './graphql/storableText';
import { createGraphQLHttpServer, sendJson, type Route } from './http/graphqlHttpServer';
import { concurrencyCap } from './http/concurrencyCap';
import { readinessRoute } from './health/readiness';
import { ShutdownDrain } from './shutdown/shutdownDrain';
import { createLogger, logOutputOf, type Logger } from './logger';
import { databaseUnreachable, migrateToLatest, openDatabase, type Database } from './orm/database';
import { registerDatabasePoolMetrics } from './observability/databasePoolMetrics';
import { registerEventBacklogMetrics } from './observability/eventBacklogMetrics';
import { METRICS_PATH, ServiceMetrics } from './observability/metrics';
import { listenForScrapes, type MetricsListener } from './observability/metricsListener';
import { operationSpanNaming } from './observability/operationSpanNaming';
import { subgraphRequestMetrics } from './observability/subgraphRequestMetrics';
import { buildFederatedSchema, type FederatedSchemaOptions } from './schema/federatedSchema';
import { countResolvedFields } from './work/countResolvedFields';
import { createWorkStats, RequestWork, type WorkStats } from './work/requestWork';
import { requestWorkPlugin } from './work/requestWorkPlugin';

/** The small, typed per-request context every resolver receives. */
export interface SubgraphContext<Loaders, Services = undefined> {
  /** A fork of the identity map for this request only. */
  readonly em: EntityManager;
  /** Fresh DataLoaders for this request only, so batching never leaks data across requests. */
  readonly loaders: Loaders;
  /** The caller as the router signed it; null when anonymous. */
  readonly viewer: Viewer | null;
  /** Process-wide collaborators the subgraph attached at start (key ring, event bus...). */
  readonly services: Services;
  /** Live updates for subscriptions (Redis pub/sub across instances). */
  readonly live: LiveUpdates;
  /** This request's work budget and abort signal (the caller left); every field spends from it. */
  readonly work: RequestWork;
}

export interface SubgraphRuntime {
  readonly database: Database;
  readonly logger: Logger;
  readonly config: SubgraphConfig;
  /** The environment, for settings only one subgraph reads (validated by that subgraph). */
  readonly env: Env;
  /** This subgraph's metrics registry (served at /metrics), for metrics of its own jobs. */
  readonly metrics: ServiceMetrics;
}

/** Routes and background work a subgraph adds beside /graphql, and what its resolvers share. */
export interface SubgraphAttachment<Services> {
  readonly services: Services;
  readonly routes?: Readonly<Record<string, Route>>;
  close?(): Promise<void>;
}

/** What a subgraph package provides; the runtime does the plumbing around it. */
export interface SubgraphDefinition<Loaders, Services = undefined> {
  readonly name: SubgraphName;
  readonly entities: readonly EntityClass<object>[];
  readonly migrations: readonly MigrationObject[];
  buildSchema(): Promise<GraphQLSchema>;
  createLoaders(em: EntityManager, viewer: Viewer | null): Loaders;
  /** Demo data for `npm start`, run on every boot: adds what is missing, never rewrites a row (insertMissing). */
  seedDemo?(em: EntityManager): Promise<void>;
  attach?(runtime: SubgraphRuntime): Promise<SubgraphAttachment<Services>>;
  /** Whether this subgraph writes events to its outbox (a relay then publishes them). */
  readonly publishesEvents?: boolean;
  /** Streams this subgraph consumes; its consumer group is named after the subgraph. */
  readonly consumes?: readonly { readonly stream: StreamName; readonly handler: EventHandler }[];
  /** What subscribers hear of an event, once it committed (its own, published; or consumed). */
  readonly liveUpdates?: (event: EventEnvelope) => readonly LiveUpdate[];
  /**
   * Which entities each of its own events changed: published, after the relay published the
   * event, on the entity-invalidation channel so every router evicts its cached copies.
   */
  readonly invalidates?: EntityInvalidations;
}

export interface SubgraphServer {
  readonly name: SubgraphName;
  readonly live: LiveUpdates;
  readonly database: Database;
  readonly logger: Logger;
  /** Counters of request work (fields resolved, requests aborted or over budget). */
  readonly work: Readonly<WorkStats>;
  /** Its Prometheus metrics, served at /metrics. */
  readonly metrics: ServiceMetrics;
  /** Resolves to the base URL (`http://host:port`); GraphQL is at `${url}/graphql`. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function createSubgraphServer<Loaders, Services>(
  definition: SubgraphDefinition<Loaders, Services>,
  config: SubgraphConfig,
  env: Env = process.env,
  extras: SubgraphExtras = {},
): Promise<SubgraphServer> {
  const logger = createLogger(definition.name, config.logLevel, config.logBufferBytes);
  // Before anything connects: a subgraph without its event transport must not start at all.
  const transportProblems = eventTransportProblems(config);
  if (transportProblems.length > 0) throw new ConfigError(transportProblems);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    entities: definition.entities,
    migrations: definition.migrations,
    logger,
    statementTimeoutMs: config.statementTimeoutMs,
  });
  // Whatever has started is stopped again if a later step fails, so a failed start leaves
  // no timers, connections or background loops behind.
  const started: (() => Promise<void>)[] = [() => database.close(true)];
  const stopStarted = async () => {
    for (const stop of started.splice(0).reverse()) await stop().catch(() => undefined);
  };
  let schema: GraphQLSchema;
  let attachment: SubgraphAttachment<Services>;
  let pubSub: { engine: PubSubEngine; close(): Promise<void> };
  let live: LiveUpdates;
  let events: { stop(): Promise<void> };
  let transport: EventTransport;
  const metrics = new ServiceMetrics(definition.name);
  const logOutput = logOutputOf(logger);
  if (logOutput) metrics.countDroppedLogLines(logOutput);
  try {
    const applied = await migrateToLatest(database, config.databaseUrl);
    if (applied.length > 0) logger.info({ applied }, 'applied migrations');
    if (config.seedDemo && definition.seedDemo) {
      await definition.seedDemo(database.em.fork());
      logger.info('demo data present');
    }
    schema = countResolvedFields(await definition.buildSchema());
    attachment = definition.attach
      ? await definition.attach({ database, logger, config, env, metrics })
      : ({ services: undefined } as SubgraphAttachment<Services>);
    const attached = attachment;
    started.push(async () => attached.close?.());
    pubSub = config.redisUrl
      ? redisPubSubEngine(config.redisUrl)
      : extras.livePubSub
        ? { engine: extras.livePubSub, close: async () => undefined }
        : inMemoryPubSubEngine();
    const engine = pubSub;
    started.push(() => engine.close());
    const liveUpdates = new LiveUpdates(pubSub.engine, config.eventKeyPrefix);
    live = liveUpdates;
    const announce = (event: EventEnvelope) => {
      for (const update of definition.liveUpdates?.(event) ?? []) {
        liveUpdates.publish(update).catch((error: unknown) => logger.warn({ err: error, topic: update.topic }, 'live update not published'));
      }
    };
    transport = openEventTransport(config, extras, logger);
    const opened = transport;
    started.push(async () => opened.close());
    events = await startEventPlumbing(definition, database, config, logger, transport, announce);
    registerDatabasePoolMetrics(metrics, definition.name, database);
    registerEventBacklogMetrics(metrics, {
      subgraph: definition.name,
      database,
      transport,
      keyPrefix: config.eventKeyPrefix,
      publishesEvents: definition.publishesEvents ?? false,
      consumes: (definition.consumes ?? []).map((consumed) => consumed.stream),
    });
  } catch (error) {
    await stopStarted();
    throw error;
  }
  type Context = SubgraphContext<Loaders, Services>;
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: true,
    formatError: createFormatError(logger),
    plugins: [refuseUnstorableText<Context>(), requestWorkPlugin<Context>(), subgraphRequestMetrics<Context>(metrics, definition.name), operationSpanNaming<Context>()],
    logger,
    // Stack traces name our files and paths: only with GRAPHQL_DEBUG_STACKTRACES=true, never by default.
    includeStacktraceInErrorResponses: config.debugStacktraces,
    // runService owns SIGTERM/SIGINT (drain, then close in order). Apollo Server's own handler
    // would stop it at once and re-raise the signal, killing the process mid-request.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const drain = new ShutdownDrain(config.shutdownDrainMs, logger);
  const workStats = createWorkStats();
  // One nonce memory per instance, shared by HTTP calls and subscription sockets.
  const signatures = config.routerSigningSecret ? new RouterCallVerifier(config.routerSigningSecret, definition.name) : null;

  const http = createGraphQLHttpServer<Context>({
    apollo,
    logger,
    // Shed load past MAX_CONCURRENT_REQUESTS rather than queue on the database pool without bound.
    ...(config.maxConcurrentRequests > 0 ? { admit: concurrencyCap(config.maxConcurrentRequests, `subgraph (${definition.name})`) } : {}),
    context: async (request: IncomingMessage, body: Buffer, signal: AbortSignal) => {
      const viewer = identify(request, body, signatures, config.allowUnsignedRequests);
      const em = database.em.fork();
      const work = new RequestWork(config.maxResolvedFields, signal, workStats);
      return { em, loaders: definition.createLoaders(em, viewer), viewer, services: attachment.services, live, work };
    },
    // In-flight requests get this long once the listener closes (README "Restarts: what clients see").
    shutdownGraceMs: config.shutdownDeadlineMs,
    routes: {
      ...attachment.routes,
      '/health': (_request, response) => sendJson(response, 200, { status: 'ok', service: definition.name }),
      ...(config.metricsPort === null ? { [METRICS_PATH]: metrics.route } : {}),
      // Every subgraph needs its event transport, accounts included (live updates, revoked sessions).
      '/ready': readinessRoute(definition.name, [
        drain.readinessCheck,
        { name: 'database', problem: () => databaseUnreachable(database) },
        { name: 'event transport', problem: () => transport.unreachable() },
      ]),
    },
  });

  const subscriptions = attachSubscriptionServer<Context>({
    server: http.server,
    schema,
    signatures,
    allowUnsigned: config.allowUnsignedRequests,
    logger,
    formatError: createFormatError(logger),
    context: (viewer, resumed) => {
      const em = database.em.fork();
      // Not yet budgeted: one context serves every event of a subscription (see README).
      const work = RequestWork.unbounded(workStats);
      return { em, loaders: definition.createLoaders(em, viewer), viewer, services: attachment.services, live: resumed ? live.resuming() : live, work };
    },
  });

  let scrapes: MetricsListener | undefined;
  return {
    name: definition.name,
    database,
    logger,
    live,
    work: workStats,
    metrics,
    async listen() {
      const url = await http.listen(config.port, config.host);
      logger.info({ url: `${url}/graphql` }, 'subgraph listening');
      if (config.metricsPort !== null) {
        scrapes = await listenForScrapes(metrics, config.metricsPort, config.host);
        logger.info({ url: scrapes.url }, 'metrics listening');
      }
      return url;
    },
    async close() {
      // README "Restarts: what clients see": /ready fails first while everything is still served,
      // then the listener closes, in-flight requests finish (bounded by SHUTDOWN_DEADLINE_MS) and
      // the router's subscription sockets are closed with 1012 so it resubscribes elsewhere.
      await drain.begin();
      const stoppedServing = http.close();
      await subscriptions.close();
      await stoppedServing;
      await scrapes?.close();
      await apollo.stop();
      await events.stop();
      await transport.close();
      await pubSub.close();
      await attachment.close?.();
      await database.close(true);
    },
  };
}

/** Process-wide things a launcher may hand to every subgraph it runs in one process. */
export interface SubgraphExtras {
  /** The in-process event transport shared by the stack's subgraphs (EVENT_TRANSPORT=memory only). */
  readonly eventStore?: InMemoryStreamStore;
  /** The in-process live-update engine, shared likewise. */
  readonly livePubSub?: PubSubEngine;
}

/**
 * Redis when REDIS_URL is set; otherwise (EVENT_TRANSPORT=memory, checked by the caller) the
 * launcher's shared in-process store, or one of this process's own when run alone.
 */
function openEventTransport(config: SubgraphConfig, extras: SubgraphExtras, logger: Logger): EventTransport {
  if (config.redisUrl) return redisEventTransport(config.redisUrl);
  logger.warn(
    extras.eventStore
      ? 'EVENT_TRANSPORT=memory: events travel between the services of this one process only (in-memory streams, lost on exit)'
      : 'EVENT_TRANSPORT=memory: events stay in this process; no other service receives them (in-memory streams, lost on exit)',
  );
  return inMemoryEventTransport(extras.eventStore ?? new InMemoryStreamStore());
}

/** The outbox relay and stream consumers of one subgraph instance. */
async function startEventPlumbing<Loaders, Services>(
  definition: SubgraphDefinition<Loaders, Services>,
  database: Database,
  config: SubgraphConfig,
  logger: Logger,
  transport: EventTransport,
  announce: (event: EventEnvelope) => void,
): Promise<{ stop(): Promise<void> }> {
  const wantsEvents = definition.publishesEvents || (definition.consumes?.length ?? 0) > 0;
  if (!wantsEvents) return { stop: async () => undefined };
  const connections: EventStreams[] = [];
  const connect = (): EventStreams => {
    const streams = transport.openStreams();
    connections.push(streams);
    return streams;
  };
  // Only with Redis: the routers' caches listen there (EVENT_TRANSPORT=memory has no router cache to tell).
  const invalidations =
    definition.publishesEvents && definition.invalidates && config.redisUrl
      ? new EntityInvalidationPublisher(config.redisUrl, config.eventKeyPrefix, definition.invalidates, logger)
      : undefined;
  const relay = definition.publishesEvents
    ? new OutboxRelay({
        database,
        streams: connect(),
        keyPrefix: config.eventKeyPrefix,
        logger,
        pollIntervalMs: 50,
        databaseUrl: config.databaseUrl,
        onPublished: (published) => {
          published.forEach(announce);
          void invalidations?.publish(published);
        },
      })
    : undefined;
  relay?.start();
  const instance = `${definition.name}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const consumers = (definition.consumes ?? []).map(
    (subscription) =>
      new StreamConsumer({
        database,
        streams: connect(),
        keyPrefix: config.eventKeyPrefix,
        stream: subscription.stream,
        group: definition.name,
        consumer: instance,
        handler: subscription.handler,
        logger,
        onApplied: announce,
      }),
  );
  await Promise.all(consumers.map((consumer) => consumer.start()));
  return {
    async stop() {
      await relay?.stop();
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      await Promise.all(connections.map((streams) => streams.close()));
      await invalidations?.close();
    },
  };
}

/**
 * Only the router may call /graphql: its signature proves the call came through it (and so
 * through its auth and limits) and vouches for the identity headers.
 */
function identify(request: IncomingMessage, body: Buffer, signatures: RouterCallVerifier | null, allowUnsigned: boolean): Viewer | null {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  if (signatures) {
    // The router only POSTs: a GET carries its operation in the URL, which no signature covers.
    const check = request.method === 'POST' ? signatures.request(header, body) : { ok: false as const, reason: 'the router signs POST requests only' };
    if (check.ok) return check.viewer;
    if (!allowUnsigned) {
      throw new GraphQLError(`Forbidden: ${check.reason}; subgraphs only answer the router`, {
        extensions: { code: 'FORBIDDEN', http: { status: 403 } },
      });
    }
  }
  return unsignedViewer(header);
}

export interface SubgraphModule<Loaders, Services = undefined> {
  readonly definition: SubgraphDefinition<Loaders, Services>;
  buildSchema(): Promise<GraphQLSchema>;
  createServer(config: SubgraphConfig, env?: Env, extras?: SubgraphExtras): Promise<SubgraphServer>;
}

/**
 * What each subgraph package exports: its schema factory (tests and the SDL printer build it
 * in-process) and a server factory (its `main.ts` only reads config and listens).
 */
export function defineSubgraph<Loaders, Services = undefined>(
  options: Omit<SubgraphDefinition<Loaders, Services>, 'buildSchema'> & {
    readonly schema: FederatedSchemaOptions<SubgraphContext<Loaders, Services>>;
  },
): SubgraphModule<Loaders, Services> {
  const { schema, ...rest } = options;
  const definition: SubgraphDefinition<Loaders, Services> = { ...rest, buildSchema: () => buildFederatedSchema(schema) };
  return {
    definition,
    buildSchema: definition.buildSchema,
    createServer: (config, env, extras) => createSubgraphServer(definition, config, env, extras),
  };
}
