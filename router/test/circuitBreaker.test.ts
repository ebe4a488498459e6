import { CircuitBreaker, type CircuitTransition } from '../src/execution/circuitBreaker';
import { RequestDeadline } from '../src/execution/requestDeadline';
import { callVerdict, guarded, isRetriable, retryDelayMs, SubgraphBreakers } from '../src/execution/subgraphResilience';
import { createLogger } from '@booking/runtime';
import type { SubgraphAnswer } from '../src/execution/subgraphClient';

const SETTINGS = { windowMs: 10_000, minimumCalls: 10, failureRatio: 0.5, openMs: 5_000 };

function breakerAt(clock: { now: number }) {
  const transitions: CircuitTransition[] = [];
  const breaker = new CircuitBreaker(SETTINGS, (transition) => transitions.push(transition), () => clock.now);
  const call = (verdict: 'success' | 'failure' | 'neutral') => {
    const admission = breaker.admit();
    if (admission !== 'refused') breaker.record(admission, verdict);
    return admission;
  };
  return { breaker, transitions, call };
}

const failed = (code: string, status?: number): SubgraphAnswer => ({
  kind: 'failed',
  error: { message: code, extensions: { code, serviceName: 'catalog', ...(status === undefined ? {} : { status }) } },
});
const answered: SubgraphAnswer = { kind: 'response', data: { ok: true }, errors: [] };

describe('circuit breaker', () => {
  it('stays closed below the minimum number of calls, however many fail', () => {
    const { breaker, call } = breakerAt({ now: 0 });
    for (let index = 0; index < 9; index += 1) call('failure');
    expect(breaker.state).toBe('closed');
    expect(breaker.admit()).toBe('call');
  });

  it('opens when the failure rate over the window reaches the threshold, then refuses calls', () => {
    const clock = { now: 0 };
    const { breaker, transitions, call } = breakerAt(clock);
    for (let index = 0; index < 5; index += 1) call('success');
    for (let index = 0; index < 4; index += 1) call('failure');
    expect(breaker.state).toBe('closed');
    call('failure'); // 5 of 10
    expect(breaker.state).toBe('open');
    expect(transitions).toEqual([{ from: 'closed', to: 'open', calls: 10, failures: 5 }]);
    clock.now += SETTINGS.openMs - 1;
    expect(breaker.admit()).toBe('refused');
  });

  it('forgets failures that slid out of the window', () => {
    const clock = { now: 0 };
    const { breaker, call } = breakerAt(clock);
    for (let index = 0; index < 9; index += 1) call('failure');
    clock.now += SETTINGS.windowMs + 1;
    for (let index = 0; index < 9; index += 1) call('success');
    call('failure');
    expect(breaker.state).toBe('closed');
  });

  it('does not count calls the client deadline cut', () => {
    const { breaker, call } = breakerAt({ now: 0 });
    for (let index = 0; index < 20; index += 1) call('neutral');
    for (let index = 0; index < 9; index += 1) call('failure');
    expect(breaker.state).toBe('closed');
  });

  it('lets one probe through after the open time; closes when it succeeds', () => {
    const clock = { now: 0 };
    const { breaker, transitions, call } = breakerAt(clock);
    for (let index = 0; index < 10; index += 1) call('failure');
    clock.now += SETTINGS.openMs;
    const probe = breaker.admit();
    expect(probe).toBe('probe');
    expect(breaker.state).toBe('half_open');
    // While the probe is out, everything else still fails fast.
    expect(breaker.admit()).toBe('refused');
    breaker.record(probe, 'success');
    expect(breaker.state).toBe('closed');
    expect(transitions.map(({ from, to }) => `${from}→${to}`)).toEqual(['closed→open', 'open→half_open', 'half_open→closed']);
    // A fresh window: one failure after closing does not reopen it.
    call('failure');
    expect(breaker.state).toBe('closed');
  });

  it('opens again for another open time when the probe fails', () => {
    const clock = { now: 0 };
    const { breaker, call } = breakerAt(clock);
    for (let index = 0; index < 10; index += 1) call('failure');
    clock.now += SETTINGS.openMs;
    expect(call('failure')).toBe('probe');
    expect(breaker.state).toBe('open');
    clock.now += SETTINGS.openMs - 1;
    expect(breaker.admit()).toBe('refused');
    clock.now += 1;
    expect(breaker.admit()).toBe('probe');
  });

  it('ignores calls that went out before it opened and ended after', () => {
    const clock = { now: 0 };
    const { breaker, call } = breakerAt(clock);
    const late = breaker.admit();
    for (let index = 0; index < 10; index += 1) call('failure');
    clock.now += SETTINGS.openMs;
    const probe = breaker.admit();
    breaker.record(late, 'success');
    expect(breaker.state).toBe('half_open');
    breaker.record(probe, 'success');
    expect(breaker.state).toBe('closed');
  });
});

describe('what counts and what is retried', () => {
  it('counts timeouts, connection errors and 5xx as failures; 4xx and GraphQL answers as successes; the client deadline as neither', () => {
    expect(callVerdict(failed('SUBGRAPH_TIMEOUT'))).toBe('failure');
    expect(callVerdict(failed('SUBGRAPH_UNAVAILABLE'))).toBe('failure');
    expect(callVerdict(failed('SUBGRAPH_HTTP_ERROR', 500))).toBe('failure');
    expect(callVerdict(failed('SUBGRAPH_HTTP_ERROR', 403))).toBe('success');
    expect(callVerdict(answered)).toBe('success');
    expect(callVerdict(failed('REQUEST_TIMEOUT'))).toBe('neutral');
  });

  it('retries connection errors and 502/503/504 only', () => {
    expect(isRetriable(failed('SUBGRAPH_UNAVAILABLE'))).toBe(true);
    expect([502, 503, 504, 500].map((status) => isRetriable(failed('SUBGRAPH_HTTP_ERROR', status)))).toEqual([true, true, true, false]);
    expect(isRetriable(failed('SUBGRAPH_TIMEOUT'))).toBe(false);
    expect(isRetriable(answered)).toBe(false);
  });

  it('waits a jittered, exponentially growing time, up to the attempts, and not past the deadline', () => {
    const settings = { attempts: 3, baseDelayMs: 100 };
    const unavailable = failed('SUBGRAPH_UNAVAILABLE');
    expect([1, 2, 3].map((retry) => retryDelayMs(settings, retry, unavailable, undefined, () => 0.999))).toEqual([99, 199, 399]);
    expect(retryDelayMs(settings, 1, unavailable, undefined, () => 0)).toBe(0);
    expect(retryDelayMs(settings, 4, unavailable, undefined, () => 0.5)).toBeUndefined();
    expect(retryDelayMs(settings, 1, unavailable, new RequestDeadline(60), () => 0.5)).toBeUndefined();
    expect(retryDelayMs(settings, 1, unavailable, new RequestDeadline(10_000), () => 0.5)).toBe(50);
  });
});

describe('a guarded call', () => {
  const logger = createLogger('router', 'silent');
  const resilience = (minimumCalls: number) => ({
    breakers: new SubgraphBreakers({ ...SETTINGS, minimumCalls }, logger),
    openMs: SETTINGS.openMs,
    retry: { attempts: 2, baseDelayMs: 1 },
  });
  const call = (answers: SubgraphAnswer[], retriable: boolean) => {
    let made = 0;
    return {
      made: () => made,
      spec: {
        serviceName: 'catalog',
        retriable,
        deadline: undefined,
        attempt: async () => answers[Math.min(made++, answers.length - 1)] as SubgraphAnswer,
        answerOf: (answer: SubgraphAnswer) => answer,
        refused: (answer: SubgraphAnswer) => answer,
      },
    };
  };

  it('retries a retriable failure and returns the first answer', async () => {
    const attempts = call([failed('SUBGRAPH_UNAVAILABLE'), failed('SUBGRAPH_HTTP_ERROR', 503), answered], true);
    await expect(guarded(resilience(100), attempts.spec, undefined)).resolves.toBe(answered);
    expect(attempts.made()).toBe(3);
  });

  it('does not retry what is not retriable', async () => {
    const attempts = call([failed('SUBGRAPH_UNAVAILABLE'), answered], false);
    await expect(guarded(resilience(100), attempts.spec, undefined)).resolves.toMatchObject({ kind: 'failed' });
    expect(attempts.made()).toBe(1);
  });

  it('stops retrying when the circuit opens, with the failure the subgraph gave; the next call fails fast', async () => {
    const guard = resilience(2);
    const attempts = call([failed('SUBGRAPH_UNAVAILABLE')], true);
    const first = await guarded(guard, attempts.spec, undefined);
    expect(attempts.made()).toBe(2);
    expect(first).toMatchObject({ error: { extensions: { code: 'SUBGRAPH_UNAVAILABLE' } } });
    expect(first).not.toMatchObject({ error: { extensions: { reason: 'CIRCUIT_OPEN' } } });
    await expect(guarded(guard, attempts.spec, undefined)).resolves.toMatchObject({ error: { extensions: { code: 'SUBGRAPH_UNAVAILABLE', reason: 'CIRCUIT_OPEN' } } });
    expect(attempts.made()).toBe(2);
  });
});
