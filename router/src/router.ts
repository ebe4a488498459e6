import { readFileSync } from 'node:fs';
import { gatewayModule } from './gatewayModule';
import { ApolloServer } from '@apollo/server';
import { createGraphQLHttpServer, createLogger, listenForScrapes, logOutputOf, METRICS_PATH, RevokedSessions, sendJson, ServiceMetrics, ShutdownDrain, SUBGRAPH_NAMES, type Logger, type MetricsListener } from '@booking/runtime/dist/router';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { RouterConfig } from './config';
import { delegateEnforcedSecurityFeatures, LiveSupergraph } from './liveSupergraph';
import { AuthorizingGateway } from './auth/authorizingGateway';
import { boundedDocumentStore } from './boundedDocumentStore';
import { createTokenVerifier, viewerFromAuthorization } from './auth/tokenVerifier';
import type { RouterContext } from './routerContext';
import { EntityCache } from './execution/entityCache';
import { createRouterExecutor } from './execution/routerExecutor';
import { SubgraphClient } from './execution/subgraphClient';
import { requestTimeoutMsOf, requestTimeoutRefusal } from './execution/clientRequestTimeout';
import { SubgraphBreakers } from './execution/subgraphResilience';
import type { SubgraphDataSource } from './subgraphDataSource';
import { GATEWAY_UNAVAILABLE, LazyGateway } from './lazyGateway';
import { landingPageHeaders } from './landingPage/apolloLandingPage';
import { graphiqlPage } from './landingPage/graphiqlPage';
import { apolloLandingPagePlugin, landingPageModeOf, landingPageStage, type LandingPage } from './pipeline/landingPage';
import { csrfPrevention } from './pipeline/csrfPrevention';
import { loadShedding } from './pipeline/loadShedding';
import { corsStage } from './pipeline/cors';
import { clientAddress } from './pipeline/callerIdentity';
import { PendingResponseExtensions, responseExtensionsPlugin } from './pipeline/responseExtensions';
import { responseCacheControlPlugin } from './pipeline/responseCacheControl';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { GatewayQueryPlans } from './pipeline/gatewayQueryPlans';
import { queryPlanExposureStage } from './pipeline/queryPlanExposure';
import { httpOperationIntake } from './pipeline/httpOperationIntake';
import { plainHttpAnswers } from './pipeline/plainHttpAnswers';
import { SandboxPage } from './landingPage/sandboxPage';
import { createProtection } from './pipeline/protection';
import { requestPipeline } from './pipeline/requestPipeline';
import { withDomainCode } from './scalarInputChecks';
import { GatewayHandoffs } from './pipeline/gatewayHandoffs';
import { RequestLog } from './pipeline/requestLog';
import { defaultSubgraphErrorsMode, subgraphErrorPolicy } from './pipeline/subgraphErrorPolicy';
import { requestLogPlugin } from './pipeline/requestLogPlugin';
import { RouterReadiness } from './readiness';
import { RouterMetrics } from './observability/routerMetrics';
import { FederatedSubscriptions } from './subscriptions/federatedSubscriptions';
import { createHttpSubscriptionHandler } from './subscriptions/httpSubscriptions';
import { endStreamsForRestart } from './subscriptions/restartNotice';
import { attachRouterSubscriptions } from './subscriptions/subscriptionServer';
import { UpstreamConnections } from './subscriptions/upstreamConnections';

export interface Router {
  readonly logger: Logger;
  /** Its Prometheus metrics, served at /metrics; null with METRICS=false. */
  readonly metrics: ServiceMetrics | null;
  readonly subscriptions: FederatedSubscriptions;
  readonly upstream: UpstreamConnections;
  listen(): Promise<string>;
  close(): Promise<void>;
}

function withoutStacktrace(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions || !('stacktrace' in formatted.extensions)) return formatted;
  const { stacktrace: _dropped, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}

/** Every subgraph's URL: the supergraph's routing URL unless `<NAME>_URL` overrides it. */
function resolveSubgraphUrls(supergraphSdl: string, config: RouterConfig): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const match of supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]*)"\)/g)) {
    const name = match[1] as string;
    const known = SUBGRAPH_NAMES.find((subgraph) => subgraph === name);
    urls[name] = (known && config.subgraphUrls[known]) || (match[2] as string);
  }
  return urls;
}

/** accounts serves its JWKS beside its GraphQL endpoint. */
function defaultJwksUrl(supergraphSdl: string, accountsOverride: string | null): string {
  const composed = /@join__graph\(name: "accounts", url: "([^"]+)"\)/.exec(supergraphSdl)?.[1];
  const accountsUrl = accountsOverride ?? composed;
  if (!accountsUrl) throw new Error('no accounts subgraph URL to derive JWKS_URL from; set JWKS_URL');
  return new URL('/.well-known/jwks.json', accountsUrl).toString();
}

export async function createRouter(config: RouterConfig): Promise<Router> {
  const logger = createLogger('router', config.logLevel, config.logBufferBytes);
  const supergraph = new LiveSupergraph(
    readFileSync(config.supergraphPath, 'utf8'),
    (sdl) => resolveSubgraphUrls(sdl, config),
    logger,
    config.queryPlanner,
  );
  const metrics = config.metrics ? new ServiceMetrics('router') : null;
  const logOutput = logOutputOf(logger);
  if (metrics && logOutput) metrics.countDroppedLogLines(logOutput);
  const routerMetrics = metrics ? new RouterMetrics(metrics) : undefined;
  const breakerSettings = {
    windowMs: config.breakerWindowMs,
    minimumCalls: config.breakerMinimumCalls,
    failureRatio: config.breakerFailurePercent / 100,
    openMs: config.breakerOpenMs,
  };
  // One breaker per subgraph for both executors (README "Failure behaviour").
  const resilience = {
    breakers: config.breaker ? new SubgraphBreakers(breakerSettings, logger, routerMetrics) : undefined,
    openMs: config.breakerOpenMs,
    retry: { attempts: config.retries, baseDelayMs: config.retryBaseDelayMs },
  };
  const subgraphClient = new SubgraphClient(config.subgraphTimeoutMs, routerMetrics, resilience);
  // One policy for every executor: what clients may see of subgraphs' errors.
  const introspectionAllowed = config.introspection ?? config.profile !== 'production';
  // Plans show how the supergraph is split up: for people building against it, not the public.
  const queryPlansExposed = config.exposeQueryPlan ?? config.profile !== 'production';
  const gatewayPlans = new GatewayQueryPlans();
  const landingPageMode = landingPageModeOf(config.landingPage, config.profile);
  const landingPage: LandingPage = landingPageMode === 'graphiql' ? { mode: 'graphiql', page: graphiqlPage() } : { mode: landingPageMode };
  const subgraphErrors = subgraphErrorPolicy(config.subgraphErrors ?? defaultSubgraphErrorsMode(config.profile));
  // Every subgraph a supergraph names is known to the executor's client by name (metrics, spans).
  const nameServices = (urls: Readonly<Record<string, string>>): void => {
    for (const [name, url] of Object.entries(urls)) subgraphClient.nameService(url, name);
  };
  nameServices(supergraph.current.subgraphUrls);
  // One @apollo/gateway data source per subgraph, made when the gateway or a subscription event
  // first needs it (reloads may add some): until then the gateway's module is not loaded.
  const dataSources: Record<string, SubgraphDataSource> = {};
  const dataSource = (name: string): SubgraphDataSource => {
    const existing = dataSources[name];
    if (existing) return existing;
    const url = supergraph.current.subgraphUrls[name];
    if (!url) throw new Error(`No URL for subgraph "${name}"`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SubgraphDataSource: DataSource } = require('./subgraphDataSource') as typeof import('./subgraphDataSource');
    const created = new DataSource(name, url, subgraphClient.fetcher, config.routerSigningSecret, subgraphErrors, routerMetrics, resilience);
    dataSources[name] = created;
    return created;
  };
  const currentDataSources = (): Record<string, SubgraphDataSource> => {
    Object.keys(supergraph.current.subgraphUrls).forEach(dataSource);
    return dataSources;
  };
  // Without Redis, accounts cannot announce a logout: tokens then work until they expire. With
  // REDIS_URL set the router does not start until it has the revoked sessions (fails closed).
  const revokedSessions = config.redisUrl ? await RevokedSessions.connect(config.redisUrl, config.eventKeyPrefix, logger) : null;
  if (!revokedSessions) logger.warn('no REDIS_URL: access tokens keep working after logout until they expire');
  const verifyToken = createTokenVerifier({
    jwksUrl: config.jwksUrl ?? defaultJwksUrl(supergraph.current.sdl, config.subgraphUrls.accounts),
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    refreshCooldownMs: config.jwksRefreshCooldownMs,
    isRevoked: revokedSessions ? (sessionId) => revokedSessions.has(sessionId) : undefined,
    isUserRevoked: revokedSessions ? (userId) => revokedSessions.hasUser(userId) : undefined,
  });
  if (config.entityCache && !config.redisUrl) throw new Error('ENTITY_CACHE=on needs REDIS_URL');
  const entityCache =
    config.entityCache && config.redisUrl && config.executor === 'router'
      ? EntityCache.start({ redisUrl: config.entityCacheRedisUrl ?? config.redisUrl, eventsRedisUrl: config.redisUrl, keyPrefix: config.eventKeyPrefix, redisTimeoutMs: config.entityCacheRedisTimeoutMs }, logger, routerMetrics)
      : null;
  const requestLog = new RequestLog(logger, routerMetrics);
  const drain = new ShutdownDrain(config.shutdownDrainMs, logger);
  const readiness = new RouterReadiness(() => supergraph.current, revokedSessions ? () => revokedSessions.current : null, () => drain.draining);
  const protection = await createProtection(config, () => supergraph.current, logger, routerMetrics);
  routerMetrics?.knowOperationNames(protection.trustedOperationNames);
  const responseExtensions = new PendingResponseExtensions();
  // Apollo Server and @apollo/gateway: what our executor leaves to them (README "Router performance"),
  // everything with ROUTER_EXECUTOR=gateway. Built on first need: until then the router holds
  // one planner and one schema, not two. A supergraph reload reaches the gateway once it is built.
  let updateGateway: ((sdl: string) => void) | undefined;
  const buildApollo = (): ApolloServer<RouterContext> => {
    // A gateway from an attempt that failed to start is never told of reloads.
    updateGateway = undefined;
    const { ApolloGateway } = gatewayModule();
    const gateway = new ApolloGateway({
      supergraphSdl: async ({ update }) => {
        updateGateway = update;
        return { supergraphSdl: delegateEnforcedSecurityFeatures(supergraph.current.sdl) };
      },
      logger,
      buildService: ({ name }) => dataSource(name),
      // Plans reach clients only through Apollo-Expose-Query-Plan (EXPOSE_QUERY_PLAN): the gateway's
      // own header (Apollo-Query-Plan-Experimental, on by default outside NODE_ENV=production) is off.
      // It would replace the response's extensions with a key Sandbox does not read.
      __exposeQueryPlanExperimental: false,
      experimental_didResolveQueryPlan: gatewayPlans.didResolveQueryPlan,
      // Its plans are counted by their JSON, which is close for plans (no client text in them).
      experimental_approximateQueryPlanStoreMiB: Math.max(1, Math.floor(config.operationCacheMaxBytes / 8 / 2 ** 20)),
    });
    const apollo = new ApolloServer<RouterContext>({
      gateway: new AuthorizingGateway(gatewayPlans.dryRunning(gateway, () => supergraph.current.planner), () => supergraph.current.requirements),
      introspection: introspectionAllowed,
      // Persisted queries are resolved by the request pipeline, before any executor.
      persistedQueries: false,
      documentStore: boundedDocumentStore(Math.floor(config.operationCacheMaxBytes / 4)),
      logger,
      // Stack traces name our files and paths: only with GRAPHQL_DEBUG_STACKTRACES=true.
      includeStacktraceInErrorResponses: config.debugStacktraces,
      // A value a custom scalar refused is BAD_USER_INPUT, a literal too (Apollo would say
      // GRAPHQL_VALIDATION_FAILED); a subgraph's stack trace never reaches clients through the gateway either.
      formatError: (formatted, error) => {
        const coded = withDomainCode(formatted, error);
        return config.debugStacktraces ? coded : withoutStacktrace(coded);
      },
      // Cache-Control comes from the supergraph's @cacheControl hints, as our executor sets it;
      // Apollo Server's own plugin would see no hints through a gateway and say no-store.
      plugins: [requestLogPlugin(), responseExtensionsPlugin(gatewayPlans), responseCacheControlPlugin(), ApolloServerPluginCacheControlDisabled(), apolloLandingPagePlugin(landingPage.mode)],
      // runService owns SIGTERM/SIGINT (drain, then close everything in order). Apollo Server's own
      // handler would stop it and re-raise the signal, killing the process mid-drain.
      stopOnTerminationSignals: false,
    });
    return apollo;
  };
  const lazyApollo = new LazyGateway(buildApollo, logger);
  routerMetrics?.reportGatewayBuilt(() => lazyApollo.isBuilt);
  // It runs every operation: built now, and a failure to start fails the router's start.
  if (config.executor === 'gateway') await lazyApollo.started('executor_gateway');

  const upstream = new UpstreamConnections(config.routerSigningSecret);
  const subscriptions = new FederatedSubscriptions(
    () => supergraph.current.planner,
    currentDataSources,
    () => supergraph.current.subgraphUrls,
    upstream,
    logger,
    {
      total: config.maxSubscriptions,
      anonymous: config.maxAnonymousSubscriptions,
      perUser: config.maxSubscriptionsPerUser,
      perAddress: config.maxSubscriptionsPerAddress,
    },
    subgraphErrors,
    { graceMs: config.subscriptionResubscribeGraceMs },
    routerMetrics,
  );
  routerMetrics?.countOpenSubscriptions(() => subscriptions.openSubscriptions);
  const current = () => ({ apiSchema: supergraph.current.planner.apiGraphQLSchema, requirements: supergraph.current.requirements });
  const httpSubscriptions = createHttpSubscriptionHandler({
    current,
    verifyToken,
    subscriptions,
    requestLog,
    maxBacklogBytes: config.maxSubscriberBacklogBytes,
    slowConsumerCloseGraceMs: config.slowConsumerCloseGraceMs,
    revokedSessions,
  });
  // Every request handed to @apollo/gateway is counted: none on the default path.
  const handoffs = new GatewayHandoffs(routerMetrics, config.executor === 'router' ? 'other' : 'executor_gateway');
  const executor =
    config.executor === 'router'
      ? createRouterExecutor({
          current: () => supergraph.current,
          verifyToken,
          client: subgraphClient,
          signingSecret: config.routerSigningSecret,
          logger,
          requestLog,
          requestTimeoutMs: config.requestTimeoutMs,
          preparedOperationBytes: Math.floor(config.operationCacheMaxBytes / 2),
          subgraphErrors,
          metrics: routerMetrics,
          entityCache: entityCache ? (state) => entityCache.forSupergraph(state) : undefined,
          introspection: introspectionAllowed,
          debugStacktraces: config.debugStacktraces,
          handoffs,
          entityBatching: config.subgraphBatching,
        })
      : undefined;
  const server = createGraphQLHttpServer({
    // Built the first time a request reaches it; until it is, none has needed it.
    apollo: async (request) => {
      try {
        return { apollo: await lazyApollo.started(handoffs.reasonOf(request) ?? 'http') };
      } catch {
        requestLog.of(request).refused(GATEWAY_UNAVAILABLE.code);
        return { refusal: GATEWAY_UNAVAILABLE };
      }
    },
    logger,
    shutdownGraceMs: config.shutdownDeadlineMs,
    // The request log in front: every /graphql request is logged, refused ones included.
    // Only the landing page gets a CSP (Sandbox's here, GraphiQL's from its stage); every response keeps nosniff.
    pageHeaders: landingPageHeaders,
    admit: requestLog.around(
      requestPipeline([
        corsStage({ origins: config.corsOrigins, allowCredentials: config.corsAllowCredentials, maxAgeSeconds: config.corsMaxAgeSeconds }),
        ...(config.maxConcurrentRequests > 0 ? [loadShedding(config.maxConcurrentRequests, requestLog)] : []),
        landingPageStage(landingPage),
        csrfPrevention(),
      ]),
    ),
    intercept: httpOperationIntake({
      requestLog,
      pipeline: protection.pipeline,
      verifyToken,
      trustedProxyHops: config.trustedProxyHops,
      handlers: executor ? [httpSubscriptions, executor] : [httpSubscriptions],
      responseExtensions,
      queryPlanExposure: queryPlanExposureStage(queryPlansExposed),
      handedToGateway: (request) => handoffs.handedOver(request),
    }),
    // What carries no operation (the Sandbox page, a GET without a query, HEAD, PUT...) is answered
    // as Apollo Server answers it, without building it. ROUTER_EXECUTOR=gateway leaves it to Apollo Server.
    answerWithoutExecutor:
      config.executor === 'router'
        ? plainHttpAnswers({
            requestLog,
            verifyToken,
            requestTimeoutMs: config.requestTimeoutMs,
            debugStacktraces: config.debugStacktraces,
            sandbox: landingPage.mode === 'sandbox' ? new SandboxPage(() => supergraph.current.planner.apiGraphQLSchema, logger) : undefined,
          })
        : undefined,
    context: async (request) => {
      const record = requestLog.of(request);
      try {
        const timeoutMs = requestTimeoutMsOf(request.headers, config.requestTimeoutMs);
        if (typeof timeoutMs !== 'number') throw requestTimeoutRefusal(timeoutMs);
        return {
          viewer: await viewerFromAuthorization(request.headers.authorization, verifyToken),
          deadline: Date.now() + timeoutMs,
          requestLog: record,
          traceContext: record.traceContext,
          responseAdditions: responseExtensions.of(request),
        };
      } catch (error) {
        // A refused token ends the request before Apollo Server's plugins see it.
        const code = error instanceof GraphQLError ? error.extensions.code : undefined;
        if (typeof code === 'string') record.refused(code);
        else record.errors([{ extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
        throw error;
      }
    },
    routes: {
      // Alive, whatever else: a liveness probe restarts the process only when this fails.
      '/health': (_request, response) => sendJson(response, 200, { status: 'ok', service: 'router' }),
      '/ready': readiness.route,
      // On the public port only when METRICS_PORT does not give it a listener of its own (README "Metrics").
      ...(metrics && config.metricsPort === null ? { [METRICS_PATH]: metrics.route } : {}),
      // GraphiQL's scripts and styles, each at its own content-addressed path.
      ...(landingPage.mode === 'graphiql' ? landingPage.page.routes : {}),
    },
  });

  const subscriptionServer = attachRouterSubscriptions({
    server: server.server,
    current,
    verifyToken,
    subscriptions,
    logger,
    requestLog,
    maxPerConnection: config.maxSubscriptionsPerConnection,
    maxConnections: config.maxSubscriptionConnections,
    maxConnectionsPerAddress: config.maxSubscriptionConnectionsPerAddress,
    revokedSessions,
    maxBacklogBytes: config.maxSubscriberBacklogBytes,
    keepAliveMs: config.subscriptionKeepAliveMs,
    slowConsumerCloseGraceMs: config.slowConsumerCloseGraceMs,
    admitOperation: (payload, viewer, upgrade, asked) => protection.pipeline.admit(payload, 'WS', { viewer, address: clientAddress(upgrade, config.trustedProxyHops) }, asked),
  });

  if (config.watchSupergraph) {
    supergraph.watch(config.supergraphPath, (next) => {
      nameServices(next.subgraphUrls);
      try {
        updateGateway?.(delegateEnforcedSecurityFeatures(next.sdl));
      } catch (error) {
        logger.error({ err: error }, 'the gateway refused the new supergraph');
      }
      // Open streams were planned against the old schema; clients resubscribe.
      subscriptions.endAll('The supergraph schema changed; subscribe again', 'SCHEMA_RELOADED');
    });
  }

  let scrapes: MetricsListener | undefined;
  return {
    logger,
    metrics,
    subscriptions,
    upstream,
    async listen() {
      const url = await server.listen(config.port, config.host);
      if (metrics && config.metricsPort !== null) {
        scrapes = await listenForScrapes(metrics, config.metricsPort, config.host);
        logger.info({ url: scrapes.url }, 'metrics listening');
      }
      // The posture in force, so an operator sees at start what NODE_ENV and its overrides chose.
      logger.info({ url: `${url}/graphql`, profile: config.profile, landingPage: landingPage.mode, introspection: introspectionAllowed, queryPlans: queryPlansExposed, subgraphErrors: subgraphErrors.mode }, 'router listening');
      return url;
    },
    async close() {
      // The drain sequence (README "Restarts: what clients see"): /ready fails first while the
      // router still serves for SHUTDOWN_DRAIN_MS, so a load balancer takes it out of rotation
      // before its listener closes and no client meets a refused connection.
      await drain.begin();
      supergraph.stop();
      // Then it stops accepting; requests in flight finish (bounded by SHUTDOWN_DEADLINE_MS).
      const stoppedServing = server.close();
      // Open subscriptions never finish by themselves: graphql-ws sockets are closed with 1012,
      // multipart and SSE streams end with a SERVICE_RESTARTING final part; their clients
      // subscribe again elsewhere.
      await subscriptionServer.close();
      endStreamsForRestart(subscriptions);
      // No resubscribe timer outlives the router.
      subscriptions.abandonResubscribing();
      await stoppedServing;
      await upstream.closeAll();
      await scrapes?.close();
      // Only if some request built it (or ROUTER_EXECUTOR=gateway).
      await lazyApollo.stop();
      await subgraphClient.close();
      await revokedSessions?.close();
      entityCache?.close();
      await protection.close();
    },
  };
}
