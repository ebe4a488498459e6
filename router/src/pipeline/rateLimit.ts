import type { HttpRefusal, Logger } from '@booking/runtime';
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
}

/** Headers telling the client its budget (draft-ietf-httpapi-ratelimit-headers field names). */
export type RateHeaders = Readonly<Record<string, string>>;

export type RateDecision =
  /** `charged`: the units spent (0 when Redis did not answer and the policy let it through). */
  | { readonly allowed: true; readonly headers: RateHeaders; readonly charged: number }
  | { readonly allowed: false; readonly refusal: HttpRefusal; readonly headers: RateHeaders };

const UNLIMITED: RateDecision = { allowed: true, headers: {}, charged: 0 };

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
 * (rate-limiter-flexible's atomic INCRBY+PEXPIRE script). An operation spends its estimated
 * cost, so one expensive operation spends what many cheap ones would; one dearer than the
 * whole budget spends the whole budget (it runs at most once per window, instead of never).
 * Redis slow or down: the configured policy within `redisTimeoutMs`, never a hang.
 */
export class RateLimits {
  private readonly limiters: Record<RateBudget, RLWrapperTimeouts>;
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
    try {
      const spent = await this.limiters[budget].consume(caller, points);
      return { allowed: true, headers: this.headers(budget, spent), charged: points };
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) {
        // Nothing was charged: what is left is the count before this operation.
        const left = new RateLimiterRes(limit - (outcome.consumedPoints - points), outcome.msBeforeNext, outcome.consumedPoints - points);
        const headers = { ...this.headers(budget, left), 'retry-after': String(Math.max(1, Math.ceil(outcome.msBeforeNext / 1000))) };
        return {
          allowed: false,
          headers,
          refusal: {
            status: 429,
            code: 'RATE_LIMITED',
            message: `Rate limit exceeded: ${limit} ${budget} cost units per ${this.settings.windowSeconds} s; this operation costs ${points}. Retry after ${headers['retry-after']} s.`,
          },
        };
      }
      return this.redisFailed(outcome);
    }
  }

  private headers(budget: RateBudget, spent: RateLimiterRes): RateHeaders {
    return {
      'ratelimit-policy': `${this.settings.points[budget]};w=${this.settings.windowSeconds}`,
      'ratelimit-limit': String(this.settings.points[budget]),
      'ratelimit-remaining': String(Math.max(0, spent.remainingPoints)),
      'ratelimit-reset': String(Math.max(0, Math.ceil(spent.msBeforeNext / 1000))),
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
