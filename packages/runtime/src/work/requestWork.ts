import { GraphQLError, responsePathAsArray, type GraphQLFormattedError, type ResponsePath } from 'graphql';
import { RequestAborted, WorkLimitExceeded, type DomainError } from '../errors/domainErrors';

/** Process-wide counters of request work, for /metrics-style inspection and tests. */
export interface WorkStats {
  /** Fields resolved by all requests so far. */
  fieldsResolved: number;
  /** Requests whose caller left while they were being executed. */
  requestsAborted: number;
  /** Requests stopped by the resolved-field budget. */
  requestsOverBudget: number;
}

export function createWorkStats(): WorkStats {
  return { fieldsResolved: 0, requestsAborted: 0, requestsOverBudget: 0 };
}

const NEVER_ABORTED = new AbortController().signal;

/**
 * Fields resolved between two turns of the event loop. Fields whose data is already loaded
 * resolve in one unbroken chain of microtasks: without a turn now and then, the closed socket
 * of a caller that gave up (and every other request, and every timer) would wait until the
 * whole result is built. Every field reached while a turn is due waits for it, so the chain
 * really drains; pausing one field alone would leave its siblings running.
 */
const FIELDS_PER_TURN = 2_048;

/**
 * What one GraphQL request may still do on this subgraph. Every resolved field spends one unit
 * (see `countResolvedFields`); once the budget is gone or the caller has left, every further
 * field throws at once, so execution unwinds instead of growing a result nobody can use.
 * Nested lists make work grow as b^depth; no per-field rule bounds that, a per-request budget does.
 */
export class RequestWork {
  private resolved = 0;
  private readonly notices: GraphQLFormattedError[] = [];
  private turn: Promise<void> | null = null;
  /**
   * Once stopped, every field still reached throws this one error: it already has a path, so
   * graphql-js passes it on as it is. A new error per field (stack capture, location, format)
   * made a stopped request slower than the work it stopped.
   */
  private stopped: GraphQLError | null = null;

  constructor(
    readonly maxResolvedFields: number,
    readonly signal: AbortSignal,
    private readonly stats: WorkStats,
  ) {
    // Not on the shared never-aborting signal of subscriptions: it would keep one listener per
    // subscription ever opened (a leak, and Node's MaxListenersExceededWarning past ten).
    if (signal !== NEVER_ABORTED && !signal.aborted) signal.addEventListener('abort', () => (stats.requestsAborted += 1), { once: true });
  }

  /** Subscriptions run one small execution per event for as long as the client stays. */
  static unbounded(stats: WorkStats): RequestWork {
    return new RequestWork(Number.POSITIVE_INFINITY, NEVER_ABORTED, stats);
  }

  get resolvedFields(): number {
    return this.resolved;
  }

  /**
   * Called once per field about to be resolved; throws when the request must stop. Answers a
   * promise when the field must first wait for a turn of the event loop, else null.
   */
  spend(path: ResponsePath): Promise<void> | null {
    if (this.stopped) throw this.stopped;
    this.stillWanted(path);
    if (this.resolved >= this.maxResolvedFields) {
      this.stats.requestsOverBudget += 1;
      throw this.stop(new WorkLimitExceeded(this.maxResolvedFields), path);
    }
    this.resolved += 1;
    this.stats.fieldsResolved += 1;
    if (this.turn) return this.turn;
    if (this.resolved % FIELDS_PER_TURN !== 0) return null;
    this.turn = new Promise((resolve) =>
      setImmediate(() => {
        this.turn = null;
        resolve();
      }),
    );
    return this.turn;
  }

  /** Throws when the caller has left. */
  stillWanted(path: ResponsePath): void {
    if (this.stopped) throw this.stopped;
    if (this.signal.aborted) throw this.stop(new RequestAborted(), path);
  }

  private stop(reason: DomainError, path: ResponsePath): GraphQLError {
    this.stopped = new GraphQLError(reason.message, {
      path: responsePathAsArray(path),
      originalError: reason,
      extensions: { ...reason.extensions, code: reason.code },
    });
    return this.stopped;
  }

  /**
   * An error that goes out beside the data of a field that still resolved (a truncated list):
   * graphql-js can only pair an error with a null, so these are added to the response at the end.
   */
  report(error: DomainError, path: readonly (string | number)[]): void {
    this.notices.push({ message: error.message, path, extensions: { ...error.extensions, code: error.code } });
  }

  get reported(): readonly GraphQLFormattedError[] {
    return this.notices;
  }
}
