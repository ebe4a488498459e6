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

  it('delivers what is queued, then a last value, when the producer ends it (a final error is never lost)', async () => {
    let released = 0;
    const stream = boundedIterator<string>(3, () => (released += 1));
    stream.push('a');
    stream.push('b');
    stream.end('last');
    stream.push('late');
    expect(released).toBe(1);
    const read: unknown[] = [];
    for await (const value of stream.iterator) read.push(value);
    expect(read).toEqual(['a', 'b', 'last']);
  });

  it('with onOverflow, ends the stream with a value saying why instead of dropping silently', async () => {
    const stream = boundedIterator<string>(2, () => undefined, { onOverflow: () => stream.end('too slow') });
    ['1', '2', '3', '4'].forEach((value) => stream.push(value));
    expect(stream.ended).toBe(true);
    const read: unknown[] = [];
    for await (const value of stream.iterator) read.push(value);
    expect(read).toEqual(['1', '2', 'too slow']);
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
