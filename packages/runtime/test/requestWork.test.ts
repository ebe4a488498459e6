import { getEventListeners } from 'node:events';
import { createWorkStats, RequestWork } from '@booking/runtime';

describe('RequestWork', () => {
  it('counts an aborted request once, from its own signal', () => {
    const stats = createWorkStats();
    const caller = new AbortController();
    const work = new RequestWork(100, caller.signal, stats);
    expect(getEventListeners(work.signal, 'abort')).toHaveLength(1);
    caller.abort();
    caller.abort();
    expect(stats.requestsAborted).toBe(1);
    expect(getEventListeners(work.signal, 'abort')).toHaveLength(0);
  });

  it('leaves no listener behind for subscriptions, which share one signal that never aborts', () => {
    const stats = createWorkStats();
    const works = Array.from({ length: 50 }, () => RequestWork.unbounded(stats));
    expect(getEventListeners(works[0]!.signal, 'abort')).toHaveLength(0);
  });
});
