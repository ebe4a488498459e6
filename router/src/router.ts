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

export interface Router {
  readonly logger: Logger;
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
  const gateway = new ApolloGateway({
    supergraphSdl: delegateEnforcedSecurityFeatures(supergraphSdl),
    logger,
    buildService: ({ name, url }) => {
      const override = SUBGRAPH_NAMES.find((known) => known === name);
      const target = (override && config.subgraphUrls[override]) || url;
      if (!target) throw new Error(`No URL for subgraph "${name}"`);
      return new SubgraphDataSource(name, target, http.fetcher, config.routerSigningSecret);
    },
  });
  const verifyToken = createTokenVerifier({
    jwksUrl: config.jwksUrl ?? defaultJwksUrl(supergraphSdl, config.subgraphUrls.accounts),
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    refreshCooldownMs: config.jwksRefreshCooldownMs,
  });
  const apollo = new ApolloServer<RouterContext>({
    gateway: new AuthorizingGateway(gateway, readAccessRequirements(supergraphSdl)),
    introspection: true,
    logger,
    includeStacktraceInErrorResponses: false,
  });
  await apollo.start();

  const server = createGraphQLHttpServer({
    apollo,
    logger,
    context: async (request) => ({ viewer: await viewerFromAuthorization(request.headers.authorization, verifyToken) }),
    routes: {
      '/health': (_request, response) => sendJson(response, 200, { status: 'ok', service: 'router' }),
    },
  });

  return {
    logger,
    async listen() {
      const url = await server.listen(config.port, config.host);
      logger.info({ url: `${url}/graphql` }, 'router listening');
      return url;
    },
    async close() {
      await server.close();
      await apollo.stop();
      await http.close();
    },
  };
}
