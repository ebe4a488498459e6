import { closeRedis, createLogger, ENTITY_INVALIDATION_CHANNEL, EntityInvalidationPublisher, parseInvalidationMessage, type EventEnvelope } from '@booking/runtime';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRedis, findFreePort, startRedisServer, testKeyPrefix, testRedisUrl } from '@booking/testkit';

const logger = createLogger('invalidation-test', process.env.TEST_LOG_LEVEL ?? 'silent');

function listingEvent(listingId: string): EventEnvelope {
  // As the relay builds one from an outbox row (EventEnvelope's default parameters name no type).
  return {
    id: `event-${listingId}-${Math.random()}`,
    stream: 'catalog',
    type: 'listing.published',
    version: 1,
    occurredAt: new Date().toISOString(),
    payload: { listingId, hostId: 'h', title: 't', capacity: 1, nightlyPrice: { amount: 1, currency: 'EUR' }, cleaningFee: { amount: 0, currency: 'EUR' }, published: true },
  } as EventEnvelope;
}
const byListing = (event: EventEnvelope) =>
  event.type === 'listing.published' ? [{ typename: 'Listing', key: { id: (event.payload as { listingId: string }).listingId } }] : [];

describe('EntityInvalidationPublisher', () => {
  it('publishes the entities a batch of events names, each once, as one message on the prefixed channel', async () => {
    const prefix = testKeyPrefix('invalidation');
    const subscriber = connectRedis();
    const messages: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => messages.push(message));
    await subscriber.subscribe(`${prefix}${ENTITY_INVALIDATION_CHANNEL}`);
    const publisher = new EntityInvalidationPublisher(testRedisUrl(), prefix, byListing, logger);
    try {
      await publisher.publish([listingEvent('a'), listingEvent('b'), listingEvent('a')]);
      await publisher.publish([{ ...listingEvent('c'), type: 'booking.held', stream: 'bookings' } as EventEnvelope]);
      const deadline = Date.now() + 5_000;
      while (messages.length < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(messages.map((message) => parseInvalidationMessage(message).references)).toEqual([
        [
          { typename: 'Listing', key: { id: 'a' } },
          { typename: 'Listing', key: { id: 'b' } },
        ],
      ]);
    } finally {
      await publisher.close();
      await closeRedis(subscriber);
    }
  });

  it('never throws when Redis is gone: the relay goes on, entries expire by max age', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'invalidation-down-'));
    const redis = await startRedisServer({ port: await findFreePort(), dir, appendOnly: false });
    const publisher = new EntityInvalidationPublisher(redis.url, testKeyPrefix('invalidation'), byListing, logger);
    try {
      await redis.stop();
      await expect(publisher.publish([listingEvent('a')])).resolves.toBeUndefined();
    } finally {
      await publisher.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
