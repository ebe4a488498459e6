import type { ServerResponse } from 'node:http';
import { sendJson } from '@booking/runtime/dist/router';
import type { SupergraphState } from './liveSupergraph';

export interface ReadinessReport {
  readonly status: 'ready' | 'draining';
  /** Subgraphs in the supergraph the router plans against. */
  readonly subgraphs: number;
  /**
   * Revoked sessions (logout): `current` when subscribed and loaded, `stale` while Redis is
   * lost (the last known set is used until it is back), `off` without REDIS_URL.
   */
  readonly revocations: 'current' | 'stale' | 'off';
}

/**
 * The router's readiness (`/ready`), as a load balancer or Kubernetes needs it: may this
 * instance take traffic now? `/health` stays "the process is alive".
 *
 * Ready means the supergraph is loaded and its query planner built (the router only listens
 * once both are, and a reload that does not plan keeps the old one), and the router is not
 * draining (shutdown has begun: it finishes what it has but takes nothing new).
 *
 * Deliberately NOT part of it:
 * - Subgraphs being reachable. Every router instance shares the same subgraphs, so one
 *   subgraph down would make every router unready at once and Kubernetes would take the
 *   whole API off the Service, including everything the other subgraphs still answer. The
 *   router serves partial results with SUBGRAPH_UNAVAILABLE instead (Apollo Router's
 *   readiness does not check subgraphs either); each subgraph has its own /ready.
 * - Redis (revoked sessions). The router does not start until it has loaded the set (fail
 *   closed at start); after that, a lost connection leaves it on the last known set and it
 *   reloads the whole set when Redis is back. While Redis is down accounts cannot record a
 *   logout either (logout fails and the client retries), so the only revocations a router can
 *   miss are ones made while it alone lost Redis, for at most that long. Failing readiness
 *   instead would, in the common case of Redis itself being down, take every router out of
 *   service to protect nothing. The state is reported (`revocations: "stale"`) and logged.
 */
export class RouterReadiness {
  constructor(
    private readonly supergraph: () => SupergraphState,
    private readonly revocationsCurrent: (() => boolean) | null,
    /** Shutdown has begun (ShutdownDrain): /ready answers 503 from then on. */
    private readonly draining: () => boolean,
  ) {}

  report(): ReadinessReport {
    return {
      status: this.draining() ? 'draining' : 'ready',
      subgraphs: Object.keys(this.supergraph().subgraphUrls).length,
      revocations: this.revocationsCurrent === null ? 'off' : this.revocationsCurrent() ? 'current' : 'stale',
    };
  }

  /** The `/ready` route: 200 when ready, 503 when draining, with the report as JSON. */
  readonly route = (_request: unknown, response: ServerResponse): void => {
    const report = this.report();
    sendJson(response, report.status === 'ready' ? 200 : 503, { ...report, service: 'router' });
  };
}
