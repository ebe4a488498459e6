import { boundedIterator, inMemoryPubSubEngine, LiveUpdates, SUBSCRIBER_BUFFER } from '@booking/runtime';

describe('bounded subscription buffers', () => {
  it('keeps at most `capacity` values for a consumer that does not read, dropping the oldest', async () => {
    const stream = boundedIterator<number>(3, () => undefined);
    for (let value = 1; value <= 10_000; value += 1) stream.push(value);
    expect(stream.dropped).toBe(9_997);
    const read = [await stream.iterator.next(), await stream.iterator.next(), await stream.iterator.next()].map((r) => r.value);
    expect(read).toEqual([9_998, 9_999, 10_000]);
  });

  it('releases at once on return(), even while a read is waiting, and only once', async () => {
    let released = 0;
    const stream = boundedIterator<number>(3, () => (released += 1));
    const pending = stream.iterator.next();
    await stream.iterator.return?.();
    await stream.iterator.return?.();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(released).toBe(1);
    stream.push(1);
    await expect(stream.iterator.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('bounds a live subscription whose client stopped reading, and unsubscribes on return()', async () => {
    const { engine } = inMemoryPubSubEngine();
    const live = new LiveUpdates(engine, 'test:');
    const subscription = live.subscribe('BOOKING_UPDATED', 'b1');
    for (let n = 0; n < 1_000; n += 1) await live.publish({ topic: 'BOOKING_UPDATED', id: 'b1', payload: { n } });
    let buffered = 0;
    const reads: Promise<unknown>[] = [];
    for (let n = 0; n < SUBSCRIBER_BUFFER; n += 1) reads.push(subscription.next().then(() => (buffered += 1)));
    await Promise.all(reads);
    expect(buffered).toBe(SUBSCRIBER_BUFFER);
    expect(live.activeSubscriptions()).toBe(1);
    await subscription.return?.();
    expect(live.activeSubscriptions()).toBe(0);
  });
});
