import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { createGraphQLHttpServer, createLogger, sendJson, SUBGRAPH_NAMES, type Logger } from '@booking/runtime';
import type { RouterConfig } from './config';
import { readAccessRequirements } from './auth/accessRequirements';
import { AuthorizingGateway } from './auth/authorizingGateway';
import { createTokenVerifier, viewerFromAuthorization } from './auth/tokenVerifier';
import type { RouterContext } from './routerContext';
import { createSubgraphFetcher, SubgraphDataSource } from './subgraphDataSource';
import { FederatedSubscriptions } from './subscriptions/federatedSubscriptions';
import { SubscriptionPlanner } from './subscriptions/subscriptionPlanner';
import { createHttpSubscriptionHandler } from './subscriptions/httpSubscriptions';
import { attachRouterSubscriptions } from './subscriptions/subscriptionServer';
import { UpstreamConnections } from './subscriptions/upstreamConnections';

export interface Router {
  readonly logger: Logger;
  readonly subscriptions: FederatedSubscriptions;
  readonly upstream: UpstreamConnections;
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** The security features AuthorizingGateway enforces itself. */
const ENFORCED_FEATURES = ['authenticated', 'requiresScopes'];

/**
 * @apollo/gateway refuses a supergraph with `for: SECURITY` features it cannot enforce, which
 * is right; we enforce `@authenticated` and `@requiresScopes` in AuthorizingGateway, so the
 * gateway is given a copy where those two are ordinary links. Any other security feature
 * (`@policy`) still makes the gateway refuse to start.
 */
function delegateEnforcedSecurityFeatures(supergraphSdl: string): string {
  const features = ENFORCED_FEATURES.join('|');
  return supergraphSdl.replace(
    new RegExp(`(@link\\(url: "https://specs\\.apollo\\.dev/(?:${features})/v[0-9.]+"), for: SECURITY\\)`, 'g'),
    '$1)',
  );
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
  const logger = createLogger('router', config.logLevel);
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  const http = createSubgraphFetcher(config.subgraphTimeoutMs);
  const gatewaySdl = delegateEnforcedSecurityFeatures(supergraphSdl);
  const subgraphUrls = resolveSubgraphUrls(supergraphSdl, config);
  const dataSources = Object.fromEntries(
    Object.entries(subgraphUrls).map(([name, url]) => [name, new SubgraphDataSource(name, url, http.fetcher, config.routerSigningSecret)]),
  );
  const gateway = new ApolloGateway({
    supergraphSdl: gatewaySdl,
    logger,
    buildService: ({ name }) => {
      const dataSource = dataSources[name];
      if (!dataSource) throw new Error(`No URL for subgraph "${name}"`);
      return dataSource;
    },
  });
  const verifyToken = createTokenVerifier({
    jwksUrl: config.jwksUrl ?? defaultJwksUrl(supergraphSdl, config.subgraphUrls.accounts),
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    refreshCooldownMs: config.jwksRefreshCooldownMs,
  });
  const requirements = readAccessRequirements(supergraphSdl);
  const apollo = new ApolloServer<RouterContext>({
    gateway: new AuthorizingGateway(gateway, requirements),
    introspection: true,
    logger,
    includeStacktraceInErrorResponses: false,
  });
  await apollo.start();

  const planner = new SubscriptionPlanner(gatewaySdl);
  const upstream = new UpstreamConnections(config.routerSigningSecret);
  const subscriptions = new FederatedSubscriptions(planner, dataSources, subgraphUrls, upstream, logger, config.maxSubscriptions);
  const server = createGraphQLHttpServer({
    apollo,
    logger,
    intercept: createHttpSubscriptionHandler({ apiSchema: planner.apiGraphQLSchema, requirements, verifyToken, subscriptions, logger }),
    context: async (request) => ({ viewer: await viewerFromAuthorization(request.headers.authorization, verifyToken) }),
    routes: {
      '/health': (_request, response) => sendJson(response, 200, { status: 'ok', service: 'router' }),
    },
  });

  const subscriptionServer = attachRouterSubscriptions({
    server: server.server,
    apiSchema: planner.apiGraphQLSchema,
    requirements,
    verifyToken,
    subscriptions,
    logger,
    maxPerConnection: config.maxSubscriptionsPerConnection,
  });

  return {
    logger,
    subscriptions,
    upstream,
    async listen() {
      const url = await server.listen(config.port, config.host);
      logger.info({ url: `${url}/graphql` }, 'router listening');
      return url;
    },
    async close() {
      await subscriptionServer.close();
      await upstream.closeAll();
      await server.close();
      await apollo.stop();
      await http.close();
    },
  };
}
