import type { HttpRefusal, Logger } from '@booking/runtime/dist/router';

/** Why Apollo Server and @apollo/gateway were built (the info line says it). */
export type GatewayBuildReason =
  /** ROUTER_EXECUTOR=gateway: it runs every operation, so it is built at start. */
  | 'executor_gateway'
  /** The router's executor left an operation to it: introspection in a root fragment or beside @defer. */
  | 'plan'
  /** The router's executor left it a request for another reason (none expected). */
  | 'other'
  /** A request no executor takes that the router left to Apollo Server (none expected: pipeline/plainHttpAnswers.ts answers the Sandbox page, a GET without a query, other methods). */
  | 'http';

/** The answer to a request that needs them while they could not be started (503; the next such request tries again). */
export const GATEWAY_UNAVAILABLE: HttpRefusal = {
  status: 503,
  code: 'GATEWAY_UNAVAILABLE',
  message: "This request needs the router's Apollo Server and @apollo/gateway, which could not be started; try again",
  headers: { 'retry-after': '1' },
};

/** What is built: started by `start`, stopped at shutdown. Apollo Server in the router. */
export interface Startable {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Apollo Server and @apollo/gateway, built the first time a request needs them: with
 * ROUTER_EXECUTOR=router our executor answers nearly everything, and the gateway would otherwise
 * hold a second query planner, supergraph schema and plan cache for nothing. Concurrent first
 * requests share one start; a start that fails is answered to the requests waiting on it and
 * forgotten, so the next request that needs it tries again (README "Router performance").
 */
export class LazyGateway<Built extends Startable> {
  private built: Built | undefined;
  private starting: Promise<Built> | undefined;
  private stopped = false;

  constructor(
    /** A new, unstarted one (each attempt builds afresh: a failed start leaves nothing reusable). */
    private readonly build: () => Built,
    private readonly logger: Logger,
  ) {}

  /** Whether it is built and started (router_gateway_built). */
  get isBuilt(): boolean {
    return this.built !== undefined;
  }

  /** Started, built now if it was not; rejects when it could not be started (the next call tries again). */
  started(reason: GatewayBuildReason): Promise<Built> {
    if (this.built) return Promise.resolve(this.built);
    if (this.stopped) return Promise.reject(new Error('the router is shutting down'));
    this.starting ??= this.start(reason);
    return this.starting;
  }

  private async start(reason: GatewayBuildReason): Promise<Built> {
    const begun = performance.now();
    try {
      const candidate = this.build();
      await candidate.start();
      if (this.stopped) {
        // Shutdown began while it started: it never serves.
        await candidate.stop();
        throw new Error('the router is shutting down');
      }
      this.built = candidate;
      this.logger.info({ reason, ms: Math.round(performance.now() - begun) }, 'built @apollo/gateway and Apollo Server');
      return candidate;
    } catch (error) {
      this.logger.error({ err: error, reason }, 'could not start @apollo/gateway and Apollo Server; the next request that needs them tries again');
      throw error;
    } finally {
      this.starting = undefined;
    }
  }

  /** At shutdown: stops it if it was built (a start under way is waited for, then stopped). */
  async stop(): Promise<void> {
    this.stopped = true;
    const pending = this.starting;
    if (pending) await pending.catch(() => undefined);
    await this.built?.stop();
  }
}
