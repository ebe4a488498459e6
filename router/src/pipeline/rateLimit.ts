import type { HttpRefusal, Logger } from '@booking/runtime/dist/router';
import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts } from 'rate-limiter-flexible';

/** Each kind of request spends its own budget: a burst of reads cannot starve writes, or the reverse. */
export type RateBudget = 'query' | 'mutation' | 'subscription';

export interface RateLimitSettings {
  readonly windowSeconds: number;
  /** Cost units per caller and window: an operation spends its estimated cost (at least 1). */
  readonly points: Readonly<Record<RateBudget, number>>;
  /** What to do when Redis does not answer: let requests through (logged), or refuse them. */
  readonly whenRedisFails: 'open' | 'closed';
  /** Longest wait for Redis before the failure policy applies. */
  readonly redisTimeoutMs: number;
  /** The deployment's key prefix, shared by every router instance. */
  readonly keyPrefix: string;
  /**
   * Share of a caller's budget (0 to 0.1) an instance takes from Redis ahead of use and spends
   * locally, so that a busy caller costs one Redis round trip per that much of its budget
   * instead of one per request. 0: every request is counted in Redis.
   */
  readonly prefetchFraction: number;
}

/** Headers telling the client its budget (draft-ietf-httpapi-ratelimit-headers field names). */
export type RateHeaders = Readonly<Record<string, string>>;

export type RateDecision =
  /** `charged`: the units spent (0 when Redis did not answer and the policy let it through). */
  | { readonly allowed: true; readonly headers: RateHeaders; readonly charged: number }
  | { readonly allowed: false; readonly refusal: HttpRefusal; readonly headers: RateHeaders };

const UNLIMITED: RateDecision = { allowed: true, headers: {}, charged: 0 };

/**
 * Points of one caller's budget this instance has charged in Redis and not yet spent, until
 * the window ends. `exact`: an advance did not fit this window, so it is counted per request
 * to its end (the last points of a budget are never held by one instance).
 */
interface Prefetched {
  points: number;
  readonly windowEndsAt: number;
  /** What Redis had left for the caller when this was taken (for RateLimit-Remaining). */
  readonly leftInRedis: number;
  readonly exact: boolean;
}

/** Callers whose prefetched points are kept at most; the least recently refilled go first. */
const MAX_PREFETCHED_CALLERS = 100_000;

/**
 * rate-limiter-flexible's counter script, changed to charge only what fits: an operation over
 * what is left is refused without spending anything (so a cheaper one that fits still runs),
 * atomically. A refund after the refusal would race the window's end and credit the next one.
 * KEYS[1]: the caller's counter; ARGV: points wanted, window seconds, the budget.
 */
const CHARGE_IF_IT_FITS = `redis.call('set', KEYS[1], 0, 'EX', ARGV[2], 'NX')
local wanted = tonumber(redis.call('get', KEYS[1])) + tonumber(ARGV[1])
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('expire', KEYS[1], ARGV[2])
  ttl = 1000 * ARGV[2]
end
if wanted <= tonumber(ARGV[3]) then redis.call('incrby', KEYS[1], ARGV[1]) end
return {wanted, ttl}`;

/** How often a Redis failure is logged again while it lasts. */
const FAILURE_LOG_INTERVAL_MS = 10_000;

/**
 * The rate-limit stage: a fixed window per caller (user id when signed in, client address
 * otherwise) and budget, counted in Redis so every router instance shares it
 * (rate-limiter-flexible's fixed window, with a script that charges only what fits). An
 * operation spends its estimated cost, so one expensive operation spends what many cheap ones
 * would; one dearer than the whole budget spends the whole budget (it runs at most once per
 * window, instead of never). Redis slow or down: the configured policy within
 * `redisTimeoutMs`, never a hang.
 *
 * A busy caller is not a Redis round trip per request: the instance charges a small advance
 * (`prefetchFraction` of the budget) with the operation and spends it locally. The advance is
 * charged in Redis before it is spent, so callers never get past their budget, whatever the
 * number of instances; the price is that a caller spread over k instances may be refused up to
 * k advances early in a window, as the advances other instances hold are not theirs to spend.
 * Once an advance does not fit, the caller is counted exactly to the window's end.
 */
export class RateLimits {
  private readonly limiters: Record<RateBudget, RLWrapperTimeouts>;
  private readonly prefetched = new Map<string, Prefetched>();
  private lastFailureLog = 0;

  constructor(
    redis: Redis,
    private readonly settings: RateLimitSettings,
    private readonly logger: Logger,
  ) {
    const limiter = (budget: RateBudget) =>
      new RLWrapperTimeouts({
        limiter: new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `${settings.keyPrefix}ratelimit:${budget}`,
          points: settings.points[budget],
          duration: settings.windowSeconds,
          rejectIfRedisNotReady: true,
          customIncrTtlLuaScript: CHARGE_IF_IT_FITS,
        }),
        timeoutMs: settings.redisTimeoutMs,
      });
    this.limiters = { query: limiter('query'), mutation: limiter('mutation'), subscription: limiter('subscription') };
  }

  async consume(budget: RateBudget, caller: string, cost: number): Promise<RateDecision> {
    const limit = this.settings.points[budget];
    const points = Math.min(limit, Math.max(1, Math.ceil(cost)));
    const key = `${budget}\0${caller}`;
    const now = Date.now();
    let held = this.prefetched.get(key);
    if (held && held.windowEndsAt <= now) held = undefined;
    if (held && held.points >= points) {
      held.points -= points;
      return { allowed: true, headers: this.headers(budget, held.leftInRedis + held.points, held.windowEndsAt - now), charged: points };
    }
    // What is held goes towards this operation; Redis is asked for the rest, and an advance.
    const needed = points - (held?.points ?? 0);
    const advance = held?.exact ? 0 : Math.floor(limit * this.settings.prefetchFraction);
    try {
      const charged = await this.charge(budget, caller, needed, advance);
      this.hold(key, { points: charged.advance, windowEndsAt: now + charged.spent.msBeforeNext, leftInRedis: charged.spent.remainingPoints, exact: charged.exact });
      return { allowed: true, headers: this.headers(budget, charged.spent.remainingPoints + charged.advance, charged.spent.msBeforeNext), charged: points };
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) {
        // Over what is left: no advance is asked again for this caller in this window.
        if (advance > 0) this.hold(key, { points: held?.points ?? 0, windowEndsAt: now + outcome.msBeforeNext, leftInRedis: 0, exact: true });
        return this.refused(budget, points, needed, outcome);
      }
      return this.redisFailed(outcome);
    }
  }

  /** Charges `needed` and, when it fits too, `advance`; an advance that does not fit is dropped. */
  private async charge(budget: RateBudget, caller: string, needed: number, advance: number) {
    const limiter = this.limiters[budget];
    if (advance > 0) {
      try {
        return { spent: await limiter.consume(caller, needed + advance), advance, exact: false };
      } catch (outcome) {
        if (!(outcome instanceof RateLimiterRes)) throw outcome;
      }
    }
    return { spent: await limiter.consume(caller, needed), advance: 0, exact: advance > 0 };
  }

  private hold(key: string, prefetched: Prefetched): void {
    // Refilled entries move to the end: the front is what was refilled longest ago.
    this.prefetched.delete(key);
    if (this.prefetched.size >= MAX_PREFETCHED_CALLERS) this.forgetOldest(prefetched.windowEndsAt);
    this.prefetched.set(key, prefetched);
  }

  /** Drops ended windows and, if that is not enough, the least recently refilled tenth. */
  private forgetOldest(now: number): void {
    for (const [key, entry] of this.prefetched) if (entry.windowEndsAt <= now) this.prefetched.delete(key);
    let excess = this.prefetched.size - Math.floor(MAX_PREFETCHED_CALLERS * 0.9);
    for (const key of this.prefetched.keys()) {
      if (excess-- <= 0) break;
      this.prefetched.delete(key);
    }
  }

  private refused(budget: RateBudget, points: number, needed: number, outcome: RateLimiterRes): RateDecision {
    const limit = this.settings.points[budget];
    // Nothing was charged: what is left is the count before this operation, and what is held.
    const left = limit - (outcome.consumedPoints - needed) + (points - needed);
    const retryAfter = String(Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)));
    const headers = { ...this.headers(budget, left, outcome.msBeforeNext), 'retry-after': retryAfter };
    return {
      allowed: false,
      headers,
      refusal: {
        status: 429,
        code: 'RATE_LIMITED',
        message: `Rate limit exceeded: ${limit} ${budget} cost units per ${this.settings.windowSeconds} s; this operation costs ${points}. Retry after ${retryAfter} s.`,
      },
    };
  }

  private headers(budget: RateBudget, remaining: number, msBeforeReset: number): RateHeaders {
    return {
      'ratelimit-policy': `${this.settings.points[budget]};w=${this.settings.windowSeconds}`,
      'ratelimit-limit': String(this.settings.points[budget]),
      'ratelimit-remaining': String(Math.max(0, remaining)),
      'ratelimit-reset': String(Math.max(0, Math.ceil(msBeforeReset / 1000))),
    };
  }

  private redisFailed(error: unknown): RateDecision {
    const now = Date.now();
    if (now - this.lastFailureLog >= FAILURE_LOG_INTERVAL_MS) {
      this.lastFailureLog = now;
      this.logger.error(
        { err: error, policy: this.settings.whenRedisFails },
        this.settings.whenRedisFails === 'open'
          ? 'rate limiting is off: Redis does not answer, requests pass unlimited (RATE_LIMIT_WHEN_REDIS_FAILS=open)'
          : 'requests are refused: Redis does not answer and RATE_LIMIT_WHEN_REDIS_FAILS=closed',
      );
    }
    if (this.settings.whenRedisFails === 'open') return UNLIMITED;
    return {
      allowed: false,
      headers: { 'retry-after': '1' },
      refusal: { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'The rate limiter is unavailable, so requests are refused for now; retry shortly.' },
    };
  }
}
