import { SUBGRAPH_NAMES, type SubgraphName } from '@booking/runtime';
import { testRedisUrl } from './redis';
import { TEST_SIGNING_SECRET, type Stack } from './stack';

/**
 * The environment of a router process (startServiceProcess('router', …)) in front of a test
 * stack: on `port`, its subgraphs (or `subgraphUrls` in their place: a traced process, a
 * counting forward), the test Redis and the stack's event prefix, the accounts key set, request
 * lines on. `env` is added last.
 */
export function routerProcessEnv(stack: Stack, port: number, options: { readonly subgraphUrls?: Partial<Record<SubgraphName, string>>; readonly env?: Record<string, string> } = {}): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ROUTER_SIGNING_SECRET: TEST_SIGNING_SECRET,
    REDIS_URL: testRedisUrl(),
    EVENT_KEY_PREFIX: stack.eventKeyPrefix,
    JWKS_URL: `${stack.subgraphs.accounts.baseUrl}/.well-known/jwks.json`,
    SUPERGRAPH_WATCH: 'false',
    ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, options.subgraphUrls?.[name] ?? stack.subgraphs[name].graphqlUrl])),
    ...options.env,
  };
}
