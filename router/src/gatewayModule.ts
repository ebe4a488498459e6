import type * as Gateway from '@apollo/gateway';

/**
 * `@apollo/gateway`, required the first time something runs on it: the lazily built gateway
 * (what our executor leaves to it, ROUTER_EXECUTOR=gateway) and subscription events' completion.
 * Imported at the top of a module, its index loaded on every start what only it uses: the
 * OpenTelemetry metrics SDK and exporter, @apollo/composition, make-fetch-happen and its disk
 * cache, Apollo's usage-reporting protobufs (README "Router performance", RSS).
 */
export function gatewayModule(): typeof Gateway {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@apollo/gateway') as typeof Gateway;
}
