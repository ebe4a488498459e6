import type { ReadinessCheck } from '../health/readiness';
import type { Logger } from '../logger';

/**
 * The first phase of a graceful shutdown: from SIGTERM the service answers `/ready` with 503
 * while it still serves everything for `drainMs`, so a load balancer polling /ready (or
 * Kubernetes removing the pod's endpoints) stops sending it new work before its listener closes
 * and no client meets a refused connection. What follows (stop accepting, finish in-flight
 * requests, end streams) belongs to the service's own close().
 */
export class ShutdownDrain {
  private begun = false;

  constructor(
    private readonly drainMs: number,
    private readonly logger: Logger,
  ) {}

  /** Whether shutdown has begun: /ready answers 503 from then on. */
  get draining(): boolean {
    return this.begun;
  }

  /** For a subgraph's /ready: a draining instance is not ready, whatever its dependencies say. */
  readonly readinessCheck: ReadinessCheck = {
    name: 'shutdown',
    problem: async () => (this.begun ? 'draining: the service is shutting down' : null),
  };

  /** Marks the service draining, then resolves once `drainMs` have passed (at once with 0). */
  async begin(): Promise<void> {
    this.begun = true;
    if (this.drainMs <= 0) return;
    this.logger.info({ drainMs: this.drainMs }, 'draining: /ready answers 503 until shutdown');
    await new Promise((resolveDrain) => setTimeout(resolveDrain, this.drainMs));
  }
}
