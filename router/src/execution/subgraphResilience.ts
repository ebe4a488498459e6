import type { Logger } from '@booking/runtime/dist/router';
import type { RouterMetrics } from '../observability/routerMetrics';
import { CircuitBreaker, type CallVerdict, type CircuitBreakerSettings, type CircuitTransition } from './circuitBreaker';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResponseError } from './responseError';
import type { SubgraphAnswer } from './subgraphClient';

/** What a subgraph's failed call was, as far as the breaker and the retries care. */
function failureOf(answer: SubgraphAnswer): { readonly code: unknown; readonly status: unknown } | undefined {
  return answer.kind === 'failed' ? { code: answer.error.extensions.code, status: answer.error.extensions.status } : undefined;
}

/**
 * Timeouts, connection errors and 5xx count against a subgraph; any GraphQL answer (errors and
 * all) and a 4xx (it answered: the request was refused) for it; the client's own deadline
 * (REQUEST_TIMEOUT, which a client may lower) neither way.
 */
export function callVerdict(answer: SubgraphAnswer): CallVerdict {
  const failure = failureOf(answer);
  if (!failure) return 'success';
  switch (failure.code) {
    case 'SUBGRAPH_TIMEOUT':
    case 'SUBGRAPH_UNAVAILABLE':
      return 'failure';
    case 'SUBGRAPH_HTTP_ERROR':
      return typeof failure.status === 'number' && failure.status >= 500 ? 'failure' : 'success';
    default:
      return 'neutral';
  }
}

/** The statuses of a proxy or server that did not get to the request (Envoy's `gateway-error`). */
const RETRIED_STATUSES = new Set([502, 503, 504]);

/**
 * Only failures where the subgraph did not run the request: a connection refused or reset
 * before any answer (SUBGRAPH_UNAVAILABLE), or 502/503/504. Never a timeout: a slow subgraph
 * asked again is a subgraph asked twice as much.
 */
export function isRetriable(answer: SubgraphAnswer): boolean {
  const failure = failureOf(answer);
  if (!failure) return false;
  return failure.code === 'SUBGRAPH_UNAVAILABLE' || (failure.code === 'SUBGRAPH_HTTP_ERROR' && RETRIED_STATUSES.has(failure.status as number));
}

/** What is left of a request's deadline (RequestDeadline, or the gateway path's epoch deadline). */
export interface Deadline {
  remainingMs(): number;
}

export interface RetrySettings {
  /** SUBGRAPH_RETRIES: extra attempts after the first (0: none). */
  readonly attempts: number;
  /** SUBGRAPH_RETRY_BASE_DELAY_MS: the first retry waits up to this, each next one up to twice as long. */
  readonly baseDelayMs: number;
}

/** No retry waits longer than this, whatever the attempt. */
const MAX_RETRY_DELAY_MS = 2_000;
/** A retry that would leave less than this of the deadline for its own call is not made. */
const LEAST_TIME_FOR_A_RETRY_MS = 50;

/**
 * The wait before retry number `retry` (1, 2, …) of a query's call, or undefined when none is
 * made: out of attempts, a failure that is not retried, or a deadline too close. Full jitter
 * (a random wait up to the exponential bound): routers that failed together do not retry together.
 */
export function retryDelayMs(settings: RetrySettings, retry: number, answer: SubgraphAnswer, deadline: Deadline | undefined, random: () => number = Math.random): number | undefined {
  if (retry > settings.attempts || !isRetriable(answer)) return undefined;
  const delay = Math.floor(random() * Math.min(MAX_RETRY_DELAY_MS, settings.baseDelayMs * 2 ** (retry - 1)));
  if (deadline && deadline.remainingMs() - delay < LEAST_TIME_FOR_A_RETRY_MS) return undefined;
  return delay;
}

/** The state gauge's values: 0 closed, 1 half-open, 2 open (alert on `== 2`). */
export const CIRCUIT_STATE_VALUES = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * One breaker per subgraph, made on its first call. Every change of state is one log line (a
 * warning when a circuit opens) and sets the subgraph's state gauge.
 */
export class SubgraphBreakers {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly settings: CircuitBreakerSettings,
    private readonly logger: Logger,
    private readonly metrics?: RouterMetrics,
  ) {}

  of(serviceName: string): CircuitBreaker {
    let breaker = this.breakers.get(serviceName);
    if (!breaker) {
      breaker = new CircuitBreaker(this.settings, (transition) => this.changed(serviceName, transition));
      this.breakers.set(serviceName, breaker);
      this.metrics?.circuitState(serviceName, CIRCUIT_STATE_VALUES.closed);
    }
    return breaker;
  }

  private changed(subgraph: string, transition: CircuitTransition): void {
    this.metrics?.circuitState(subgraph, CIRCUIT_STATE_VALUES[transition.to]);
    const fields = { subgraph, from: transition.from, to: transition.to, calls: transition.calls, failures: transition.failures };
    if (transition.to === 'open') {
      this.logger.warn({ ...fields, openMs: this.settings.openMs }, `circuit breaker for subgraph "${subgraph}" opened: its calls fail fast with SUBGRAPH_UNAVAILABLE`);
    } else {
      this.logger.info(fields, `circuit breaker for subgraph "${subgraph}" is ${transition.to === 'closed' ? 'closed' : 'half-open (one probe call)'}`);
    }
  }
}

/** The answer of a call the breaker did not let out. */
export function shortCircuited(serviceName: string, openMs: number): SubgraphAnswer {
  const error: ResponseError = {
    message: `Subgraph "${serviceName}" is unavailable: its circuit breaker is open after repeated failures (next try within ${openMs} ms)`,
    extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName, reason: 'CIRCUIT_OPEN' },
  };
  return { kind: 'failed', error };
}

/** The circuit breakers (SUBGRAPH_BREAKER; none when off) and the retry settings of queries' calls (SUBGRAPH_RETRIES). */
export interface SubgraphResilience {
  readonly breakers?: SubgraphBreakers;
  readonly openMs: number;
  readonly retry: RetrySettings;
}

/** One subgraph call to make resilient: both executors' calls, whatever they return. */
export interface GuardedCall<Result> {
  readonly serviceName: string;
  /** A query's call: retried on a refused connection or 502/503/504. Never a mutation's or a subscription's. */
  readonly retriable: boolean;
  readonly deadline: Deadline | undefined;
  /** Makes the call once. */
  attempt(): Promise<Result>;
  /** How the call went, in the executor's terms. */
  answerOf(result: Result): SubgraphAnswer;
  /** The result of a call the open circuit did not let out. */
  refused(answer: SubgraphAnswer): Result;
}

/**
 * A call through its subgraph's breaker, retried as its kind allows. On a healthy subgraph this
 * is one state check and one count; waits (and their timers) happen only after a failure.
 */
export async function guarded<Result>(resilience: SubgraphResilience, call: GuardedCall<Result>, metrics: RouterMetrics | undefined): Promise<Result> {
  const breaker = resilience.breakers?.of(call.serviceName);
  let last: Result | undefined;
  for (let retry = 1; ; retry += 1) {
    const admission = breaker ? breaker.admit() : 'call';
    if (admission === 'refused') {
      metrics?.subgraphShortCircuited(call.serviceName);
      // A retry the breaker stopped: the client hears of the failure the subgraph gave.
      return last ?? call.refused(shortCircuited(call.serviceName, resilience.openMs));
    }
    try {
      last = await call.attempt();
    } catch (error) {
      // Never expected (attempts return failures as values), but a probe that never reports
      // back would hold the circuit half-open, refusing every call, for good.
      breaker?.record(admission, 'neutral');
      throw error;
    }
    const answer = breaker || call.retriable ? call.answerOf(last) : undefined;
    if (!answer) return last;
    breaker?.record(admission, callVerdict(answer));
    const delay = call.retriable ? retryDelayMs(resilience.retry, retry, answer, call.deadline) : undefined;
    if (delay === undefined) return last;
    metrics?.subgraphRetried(call.serviceName);
    await sleep(delay);
  }
}
