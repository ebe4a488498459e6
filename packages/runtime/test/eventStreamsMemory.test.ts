import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RedisEventStreams } from '../src/events/eventStreams';
import { testKeyPrefix, testRedisUrl } from '@booking/testkit';

/**
 * A consumer polls its stream for as long as its process lives (issue 17): what one command
 * leaves behind once it has settled must be nothing, or the idle polling alone grows the heap
 * until the process dies.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

test('settled commands leave nothing behind, and close() still ends a command that waits', async () => {
  const streams = RedisEventStreams.connect(testRedisUrl());
  const key = `${testKeyPrefix('streams-memory')}stream`;
  try {
    await streams.ensureGroup(key, 'g');
    const run = async (count: number) => {
      for (let batch = 0; batch < count / 1_000; batch++) await Promise.all(Array.from({ length: 1_000 }, () => streams.ack(key, 'g', '0-1')));
    };
    await run(2_000); // warm-up: connection buffers, JIT
    const before = heapAfterGc();
    await run(30_000);
    const grown = heapAfterGc() - before;
    // A reaction kept per command would be well over 3 MB for 30,000 of them.
    expect(grown).toBeLessThan(1024 * 1024);
    // A blocking read (nothing arrives for 10 s) is ended by close(), not left hanging.
    const waiting = streams.readGroup(key, 'g', 'c', 1, 10_000);
    await new Promise((wait) => setTimeout(wait, 100));
    const closed = streams.close();
    await expect(waiting).rejects.toThrow('event streams closed');
    await closed;
  } finally {
    await streams.close();
  }
});
