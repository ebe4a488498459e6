import type { Logger } from '@booking/runtime/dist/router';
import type { GraphQLFormattedError } from 'graphql';
import type { FormattedExecutionResult, SubscribePayload } from 'graphql-ws';
import type { UpstreamConnection } from './upstreamConnections';
import type { RouterMetrics } from '../observability/routerMetrics';

/**
 * What the router puts in a resubscribe's `extensions`: the subgraph yields the current state
 * first (packages/runtime's LiveUpdates.resuming), so nothing that changed in the gap is missed.
 */
export const ROUTER_RESUME_EXTENSION = { resume: true } as const;

/** Backoff between resubscribe attempts: full jitter over an exponential step, capped. */
const FIRST_RETRY_MS = 100;
const LONGEST_RETRY_MS = 5_000;

export interface ResubscribePolicy {
  /** How long a dropped upstream subscription is resubscribed before its clients are told (0: not at all). */
  readonly graceMs: number;
}

export interface UpstreamSink {
  next(event: FormattedExecutionResult<Record<string, unknown>, unknown>): void;
  /** The subgraph refused the subscription (or its resumption) with GraphQL errors: the end. */
  refused(errors: readonly GraphQLFormattedError[]): void;
  /** The upstream is gone for good (grace period over, or a close that says retrying is pointless): the end. */
  unavailable(reason: string): void;
  complete(): void;
}

/** Why the socket went; used for the log line and the client's error message. */
export function describeUpstreamFailure(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'code' in error) return `socket closed (${String((error as { code: unknown }).code)})`;
  return 'unknown error';
}

function isFormattedErrorList(value: unknown): value is readonly GraphQLFormattedError[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => item && typeof item === 'object' && typeof item.message === 'string');
}

/** 4400–4499: the subgraph refused the socket itself (signature, bad request); another try says the same. */
function isRefusedSocket(error: unknown): boolean {
  if (!error || typeof error !== 'object' || !('code' in error)) return false;
  const code = (error as { code: unknown }).code;
  return typeof code === 'number' && code >= 4400 && code <= 4499;
}

/**
 * One upstream subscription that outlives its socket: a subgraph restarting (a rolling deploy,
 * a crash) drops the socket, and rather than end every client's stream the router subscribes
 * again, with jittered exponential backoff, for `graceMs` from the drop. The resubscribe asks
 * for the current state first (ROUTER_RESUME_EXTENSION). Only a subscription that had reached
 * the subgraph is resumed: one that never connected fails at once, so a client subscribing
 * while the subgraph is down hears so without waiting out the grace period. `close()` (the
 * last client left) stops everything: the pending timer, the current attempt, its listener.
 */
export class ResumableUpstream {
  private unsubscribe: () => void = () => undefined;
  private stopWaitingForConnection: () => void = () => undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** The end of the grace period; set from a drop until the subgraph acknowledges a socket again. */
  private deadline: NodeJS.Timeout | undefined;
  private connectedOnce = false;
  /** When the socket was lost; undefined while the subscription is live. */
  private droppedAt: number | undefined;
  private failedAttempts = 0;
  private closed = false;

  constructor(
    private readonly connection: UpstreamConnection,
    private readonly serviceName: string,
    private readonly payload: SubscribePayload,
    private readonly sink: UpstreamSink,
    private readonly policy: ResubscribePolicy,
    private readonly logger: Logger,
    private readonly metrics?: RouterMetrics,
  ) {
    this.attempt(false);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.deadline);
    this.retryTimer = undefined;
    this.deadline = undefined;
    this.stopWaitingForConnection();
    this.unsubscribe();
  }

  /**
   * The router is shutting down: a subscription still waiting for its subgraph ends now with
   * SUBGRAPH_UNAVAILABLE (its timers go with it) rather than retry against a closed pool.
   */
  abandonResubscribing(): void {
    if (this.closed || this.deadline === undefined) return;
    this.close();
    this.sink.unavailable('the subgraph had not come back when the router shut down');
  }

  private attempt(resume: boolean): void {
    this.retryTimer = undefined;
    const payload = resume ? { ...this.payload, extensions: { ...this.payload.extensions, ...ROUTER_RESUME_EXTENSION } } : this.payload;
    let ended = false;
    this.unsubscribe = this.connection.client.subscribe(payload, {
      next: (event) => {
        if (this.closed) return;
        // An event is proof enough (a socket acknowledged while others were opening it may not
        // say so). Errors without data first: graphql-js's way of a subscribe resolver refusing
        // (the entity is gone, the viewer may no longer watch it); `complete` follows, the end.
        if (resume) this.resubscribed(event.data == null && event.errors?.length ? 'refused' : 'resumed');
        this.sink.next(event);
      },
      error: (error) => {
        ended = true;
        this.stopWaitingForConnection();
        if (this.closed) return;
        if (isFormattedErrorList(error)) {
          if (resume) this.resubscribed('refused');
          this.sink.refused(error);
        } else this.lost(error);
      },
      complete: () => {
        ended = true;
        this.stopWaitingForConnection();
        if (!this.closed) this.sink.complete();
      },
    });
    // The socket acknowledged (or was already open): the subscription reached the subgraph.
    if (!ended)
      this.stopWaitingForConnection = this.connection.onceConnected(() => {
        this.connectedOnce = true;
        // The subgraph is back: the grace period is over. Whether the subscription resumed or was
        // refused, its first event says (the catch-up event the contract asks for, or an error).
        clearTimeout(this.deadline);
        this.deadline = undefined;
      });
  }

  private resubscribed(outcome: 'resumed' | 'refused'): void {
    if (this.droppedAt === undefined) return;
    this.logger.info(
      { subgraph: this.serviceName, outcome, attempts: this.failedAttempts + 1, afterMs: Date.now() - this.droppedAt },
      outcome === 'resumed' ? 'upstream subscription resumed' : 'upstream subscription refused on resubscribe',
    );
    this.metrics?.upstreamResubscription(this.serviceName, outcome);
    clearTimeout(this.deadline);
    this.deadline = undefined;
    this.droppedAt = undefined;
    this.failedAttempts = 0;
  }

  private lost(error: unknown): void {
    const reason = describeUpstreamFailure(error);
    if (!this.connectedOnce || this.policy.graceMs === 0 || isRefusedSocket(error)) {
      this.sink.unavailable(reason);
      return;
    }
    // A first drop, or one after the subgraph came back (acknowledged the socket) in between.
    if (this.droppedAt === undefined || this.deadline === undefined) {
      this.droppedAt = Date.now();
      this.failedAttempts = 0;
      this.logger.warn({ subgraph: this.serviceName, reason, graceMs: this.policy.graceMs }, 'upstream subscription dropped; resubscribing');
      this.metrics?.upstreamSubscriptionDropped(this.serviceName);
      // One deadline from the drop, whatever the attempts do (one may hang on a frozen host).
      this.deadline = setTimeout(() => this.giveUp(reason), this.policy.graceMs);
    } else {
      this.failedAttempts += 1;
      this.metrics?.upstreamResubscription(this.serviceName, 'failed');
    }
    const step = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** this.failedAttempts);
    this.retryTimer = setTimeout(() => this.attempt(true), Math.round(step / 2 + Math.random() * (step / 2)));
  }

  private giveUp(reason: string): void {
    this.logger.warn({ subgraph: this.serviceName, reason, attempts: this.failedAttempts + 1 }, 'upstream subscription not resumed within its grace period');
    this.metrics?.upstreamResubscription(this.serviceName, 'gave_up');
    this.close();
    this.sink.unavailable(`${reason}; not back within ${this.policy.graceMs} ms`);
  }
}
