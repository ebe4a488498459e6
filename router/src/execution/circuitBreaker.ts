/**
 * A circuit breaker per subgraph: a small state machine of our own rather than opossum.
 * opossum wraps a function that throws and races it against its own timer per call, and rolls
 * its window with an interval timer per breaker; our subgraph calls already have their deadline
 * (undici's headers/body timeouts) and return their failures as values (SubgraphAnswer), so all
 * the breaker needs is one state check before a call and one count after it, on the clock the
 * call reads anyway: no timer, promise or closure per request.
 *
 * closed → open: at least `minimumCalls` calls in the rolling window and at least
 * `failureRatio` of them failed (timeouts, connection errors, 5xx). open → half-open: after
 * `openMs`; one probe call is let through, every other call still fails fast. half-open →
 * closed when the probe succeeds (with a fresh window), → open again (for another `openMs`)
 * when it fails.
 */

export type CircuitState = 'closed' | 'half_open' | 'open';

/** What `admit` let a call do: go out as usual, go out as the half-open probe, or not at all. */
export type Admission = 'call' | 'probe' | 'refused';

/** How a call's outcome counts: the subgraph failed it, answered it, or it says nothing about the subgraph (the client's own deadline cut it). */
export type CallVerdict = 'success' | 'failure' | 'neutral';

export interface CircuitBreakerSettings {
  /** SUBGRAPH_BREAKER_WINDOW_MS: the rolling window the failure rate is computed over. */
  readonly windowMs: number;
  /** SUBGRAPH_BREAKER_MIN_CALLS: fewer calls in the window never open the circuit. */
  readonly minimumCalls: number;
  /** SUBGRAPH_BREAKER_FAILURE_PERCENT / 100. */
  readonly failureRatio: number;
  /** SUBGRAPH_BREAKER_OPEN_MS: how long an open circuit fails fast before a probe. */
  readonly openMs: number;
}

export interface CircuitTransition {
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** Calls and failures in the window when it opened from closed. */
  readonly calls?: number;
  readonly failures?: number;
}

/** The window is this many buckets: it slides by a tenth of its length. */
const BUCKETS = 10;

export class CircuitBreaker {
  private stateNow: CircuitState = 'closed';
  private readonly successes = new Uint32Array(BUCKETS);
  private readonly failures = new Uint32Array(BUCKETS);
  private readonly bucketMs: number;
  /** Start time of the current bucket, and its index. */
  private bucketStartedAt: number;
  private bucket = 0;
  private openedAt = 0;
  private probeOut = false;

  constructor(
    private readonly settings: CircuitBreakerSettings,
    private readonly onTransition: (transition: CircuitTransition) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.bucketMs = Math.max(1, settings.windowMs / BUCKETS);
    this.bucketStartedAt = now();
  }

  get state(): CircuitState {
    return this.stateNow;
  }

  /** Before a call: whether it may go out. The one check on a healthy subgraph's path. */
  admit(): Admission {
    if (this.stateNow === 'closed') return 'call';
    if (this.stateNow === 'open') {
      if (this.now() - this.openedAt < this.settings.openMs) return 'refused';
      this.moveTo('half_open');
    }
    if (this.probeOut) return 'refused';
    this.probeOut = true;
    return 'probe';
  }

  /** After a call `admit` let through. */
  record(admission: Admission, verdict: CallVerdict): void {
    if (admission === 'probe') {
      this.probeOut = false;
      if (verdict === 'success') {
        this.clearWindow();
        this.moveTo('closed');
      } else if (verdict === 'failure') {
        this.open();
      }
      return;
    }
    // A call that went out while closed and ended after the circuit opened tells nothing new.
    if (admission !== 'call' || this.stateNow !== 'closed' || verdict === 'neutral') return;
    this.slide();
    if (verdict === 'success') {
      this.successes[this.bucket] += 1;
      return;
    }
    this.failures[this.bucket] += 1;
    // Sums only on a failure: a healthy subgraph's calls never add up the window.
    let failures = 0;
    let calls = 0;
    for (let index = 0; index < BUCKETS; index += 1) {
      failures += this.failures[index] as number;
      calls += (this.failures[index] as number) + (this.successes[index] as number);
    }
    if (calls >= this.settings.minimumCalls && failures >= calls * this.settings.failureRatio) this.open(calls, failures);
  }

  private open(calls?: number, failures?: number): void {
    this.openedAt = this.now();
    this.moveTo('open', calls, failures);
  }

  private moveTo(to: CircuitState, calls?: number, failures?: number): void {
    const from = this.stateNow;
    if (from === to) return;
    this.stateNow = to;
    this.onTransition({ from, to, ...(calls === undefined ? {} : { calls, failures }) });
  }

  /** Advances the window to now, emptying the buckets it slid past. */
  private slide(): void {
    const now = this.now();
    const steps = Math.floor((now - this.bucketStartedAt) / this.bucketMs);
    if (steps <= 0) return;
    if (steps >= BUCKETS) {
      this.clearWindow();
      this.bucketStartedAt = now;
      return;
    }
    for (let step = 0; step < steps; step += 1) {
      this.bucket = (this.bucket + 1) % BUCKETS;
      this.successes[this.bucket] = 0;
      this.failures[this.bucket] = 0;
    }
    this.bucketStartedAt += steps * this.bucketMs;
  }

  private clearWindow(): void {
    this.successes.fill(0);
    this.failures.fill(0);
    this.bucketStartedAt = this.now();
  }
}
