import type * as Gateway from '@apollo/gateway';

/**
 * `@apollo/gateway`, required the first time something runs on it: the lazily built gateway
 * (what our executor leaves to it, ROUTER_EXECUTOR=gateway) and subscription events' completion.
 * Imported at the top of a module, its index loaded on every start what only it uses: the
 * OpenTelemetry metrics SDK and exporter, @apollo/composition, make-fetch-happen and its disk
 * cache, Apollo's usage-reporting protobufs (README "Router performance", RSS).
 */
let loaded: typeof Gateway | undefined;

export function gatewayModule(): typeof Gateway {
  // Held once loaded: subscription events call this per event, and require() resolves its path each time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('@apollo/gateway') as typeof Gateway;
  return loaded;
}
