import type { IncomingMessage } from 'node:http';
import type { GatewayReason, RouterMetrics } from '../observability/routerMetrics';

/**
 * Counts the requests handed to Apollo Server and @apollo/gateway (router_gateway_requests_total)
 * with why: the router's executor notes its reason when it leaves a request; the intake counts
 * the request when it hands it over. On the default path the count stays 0 (README "Metrics").
 */
export class GatewayHandoffs {
  private readonly reasons = new WeakMap<IncomingMessage, GatewayReason>();
  private readonly handed = new WeakMap<IncomingMessage, GatewayReason>();

  constructor(
    private readonly metrics: RouterMetrics | undefined,
    /** The reason when the executor noted none: executor_gateway with ROUTER_EXECUTOR=gateway. */
    private readonly fallback: GatewayReason,
  ) {}

  /** Why the router's executor leaves this request (it then answers false). */
  note(request: IncomingMessage, reason: GatewayReason): void {
    this.reasons.set(request, reason);
  }

  /** The request goes to Apollo Server. */
  handedOver(request: IncomingMessage): void {
    const reason = this.reasons.get(request) ?? this.fallback;
    this.handed.set(request, reason);
    this.metrics?.gatewayRequest(reason);
  }

  /** Why this request was handed over; undefined for one no executor took (Apollo Server answers it itself). */
  reasonOf(request: IncomingMessage): GatewayReason | undefined {
    return this.handed.get(request);
  }
}
