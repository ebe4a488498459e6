import { parse, variable } from '../config/env';

/** Default bound on in-flight requests once a service stops accepting (README "Restarts: what clients see"). */
export const DEFAULT_SHUTDOWN_DEADLINE_MS = 10_000;

/**
 * The two phases of a graceful shutdown, read the same way by the router and every subgraph so
 * a Kubernetes `terminationGracePeriodSeconds` can be checked against them (infra/test).
 */
export function shutdownConfigSpec() {
  return {
    shutdownDrainMs: variable(
      'SHUTDOWN_DRAIN_MS',
      'on SIGTERM, how long the service keeps serving with /ready answering 503 before it stops accepting (time for a load balancer to take it out of rotation)',
      parse.nonNegativeInt,
      () => 0,
    ),
    shutdownDeadlineMs: variable(
      'SHUTDOWN_DEADLINE_MS',
      'once the service stops accepting, how long in-flight requests may take to finish before their connections are cut',
      parse.positiveInt,
      () => DEFAULT_SHUTDOWN_DEADLINE_MS,
    ),
  };
}
