import { boundedIterator, inMemoryPubSubEngine, LiveUpdates, SlowConsumer, SUBSCRIBER_BUFFER } from '@booking/runtime';

describe('bounded subscription buffers', () => {
  it('never drops a value silently: past `capacity`, onOverflow runs and the value is refused', async () => {
    let overflowed = 0;
    const stream = boundedIterator<number>(3, () => undefined, { onOverflow: () => (overflowed += 1) });
    for (let value = 1; value <= 10_000; value += 1) stream.push(value);
    expect(overflowed).toBe(9_997);
    expect(stream.dropped).toBe(9_997);
    const read = [await stream.iterator.next(), await stream.iterator.next(), await stream.iterator.next()].map((r) => r.value);
    expect(read).toEqual([1, 2, 3]);
  });

  it('releases at once on return(), even while a read is waiting, and only once', async () => {
    let released = 0;
    const stream = boundedIterator<number>(3, () => (released += 1), { onOverflow: () => stream.end() });
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
    const stream = boundedIterator<string>(3, () => (released += 1), { onOverflow: () => stream.end() });
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

  it('with latestPer, keeps the newest value per key (moved to the back) and never overflows on repeats', async () => {
    let overflowed = 0;
    const stream = boundedIterator<{ key: string; n: number }>(3, () => undefined, { latestPer: (value) => value.key, onOverflow: () => (overflowed += 1) });
    stream.push({ key: 'a', n: 1 });
    stream.push({ key: 'b', n: 2 });
    for (let n = 3; n <= 1_000; n += 1) stream.push({ key: n % 2 === 0 ? 'c' : 'a', n });
    expect(overflowed).toBe(0);
    expect(stream.dropped).toBe(0);
    expect(stream.coalesced).toBe(997);
    const read = [await stream.iterator.next(), await stream.iterator.next(), await stream.iterator.next()].map((r) => r.value);
    expect(read).toEqual([
      { key: 'b', n: 2 },
      { key: 'a', n: 999 },
      { key: 'c', n: 1_000 },
    ]);
  });

  it('fail() delivers what is queued, then rejects the next read once with the error, then is done', async () => {
    let released = 0;
    const stream = boundedIterator<string>(2, () => (released += 1), { latestPer: (value) => value, onOverflow: () => stream.fail(new Error('behind')) });
    ['a', 'b', 'a', 'c', 'd'].forEach((value) => stream.push(value));
    expect(stream.ended).toBe(true);
    expect(released).toBe(1);
    await expect(stream.iterator.next()).resolves.toEqual({ value: 'b', done: false });
    await expect(stream.iterator.next()).resolves.toEqual({ value: 'a', done: false });
    await expect(stream.iterator.next()).rejects.toThrow('behind');
    await expect(stream.iterator.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('fail() rejects a read that is already waiting', async () => {
    const stream = boundedIterator<string>(2, () => undefined, { onOverflow: () => stream.end() });
    const pending = stream.iterator.next();
    stream.fail(new Error('behind'));
    await expect(pending).rejects.toThrow('behind');
  });

  it('a live subscription keeps the newest signal per thing: many signals for few things lose nothing', async () => {
    const { engine } = inMemoryPubSubEngine();
    const live = new LiveUpdates(engine, 'test:');
    const subscription = live.subscribe<{ bookingId: string; n: number }>('MY_BOOKINGS', 'u1', { latestPer: (signal) => signal.bookingId });
    // Ten bookings change once, then one booking changes 1,000 times: dropping the oldest would
    // have lost the first ten for good.
    for (let n = 0; n < 10; n += 1) await live.publish({ topic: 'MY_BOOKINGS', id: 'u1', payload: { bookingId: `b${n}`, n } });
    for (let n = 10; n < 1_010; n += 1) await live.publish({ topic: 'MY_BOOKINGS', id: 'u1', payload: { bookingId: 'hot', n } });
    const read: string[] = [];
    for (let n = 0; n < 11; n += 1) read.push((await subscription.next()).value.bookingId);
    expect(read.sort()).toEqual([...Array.from({ length: 10 }, (_, n) => `b${n}`), 'hot'].sort());
    expect(live.activeSubscriptions()).toBe(1);
    await subscription.return?.();
    expect(live.activeSubscriptions()).toBe(0);
  });

  it('ends a live subscription that falls more than SUBSCRIBER_BUFFER distinct things behind with SLOW_CONSUMER, after what it queued', async () => {
    const { engine } = inMemoryPubSubEngine();
    const live = new LiveUpdates(engine, 'test:');
    const subscription = live.subscribe<{ bookingId: string }>('MY_BOOKINGS', 'u1', { latestPer: (signal) => signal.bookingId });
    for (let n = 0; n < 1_000; n += 1) await live.publish({ topic: 'MY_BOOKINGS', id: 'u1', payload: { bookingId: `b${n}` } });
    // Unsubscribed at once: the stream no longer holds a pub/sub subscription.
    expect(live.activeSubscriptions()).toBe(0);
    for (let n = 0; n < SUBSCRIBER_BUFFER; n += 1) await expect(subscription.next()).resolves.toEqual({ value: { bookingId: `b${n}` }, done: false });
    const error = await subscription.next().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(SlowConsumer);
    expect(error).toMatchObject({ code: 'SLOW_CONSUMER', message: expect.stringMatching(/fell more than 64 updates behind.*subscribe again/) });
    await expect(subscription.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('without latestPer, every update counts: a subscriber that stopped reading is ended, not silently thinned', async () => {
    const { engine } = inMemoryPubSubEngine();
    const live = new LiveUpdates(engine, 'test:');
    const subscription = live.subscribe('AVAILABILITY_CHANGED', 'l1');
    for (let n = 0; n < 1_000; n += 1) await live.publish({ topic: 'AVAILABILITY_CHANGED', id: 'l1', payload: { n } });
    expect(live.activeSubscriptions()).toBe(0);
    const read: unknown[] = [];
    await expect(
      (async () => {
        for await (const update of subscription) read.push(update);
      })(),
    ).rejects.toBeInstanceOf(SlowConsumer);
    expect(read).toEqual(Array.from({ length: SUBSCRIBER_BUFFER }, (_, n) => ({ n })));
  });
  it('yields the current state first only on a subscription the router resumes, then the updates as ever', async () => {
    const { engine } = inMemoryPubSubEngine();
    const live = new LiveUpdates(engine, 'test:');
    type Signal = { bookingId: string; eventId: string };
    const options = { latestPer: (signal: Signal) => signal.bookingId, current: [{ bookingId: 'b1', eventId: 'resume' }] };
    const fresh = live.subscribe<Signal>('BOOKING_UPDATED', 'b1', options);
    const resumed = live.resuming().subscribe<Signal>('BOOKING_UPDATED', 'b1', options);
    // One process-wide count, whichever view subscribed.
    expect(live.activeSubscriptions()).toBe(2);
    expect((await resumed.next()).value).toEqual({ bookingId: 'b1', eventId: 'resume' });
    await new Promise((resolve) => setImmediate(resolve));
    await live.publish({ topic: 'BOOKING_UPDATED', id: 'b1', payload: { bookingId: 'b1', eventId: 'e1' } });
    expect((await fresh.next()).value).toEqual({ bookingId: 'b1', eventId: 'e1' });
    expect((await resumed.next()).value).toEqual({ bookingId: 'b1', eventId: 'e1' });
    await fresh.return?.();
    await resumed.return?.();
    expect(live.activeSubscriptions()).toBe(0);
  });
});
