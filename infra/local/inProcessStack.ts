import { createServer as createAccounts } from '@booking/accounts';
import { createServer as createBilling } from '@booking/billing';
import { createServer as createBookings } from '@booking/bookings';
import { createServer as createCatalog } from '@booking/catalog';
import { createRouter, readRouterConfig } from '@booking/router';
import {
  inMemoryPubSubEngine,
  InMemoryStreamStore,
  readSubgraphConfig,
  SUBGRAPH_NAMES,
  type SubgraphConfig,
  type SubgraphName,
  type SubgraphServer,
} from '@booking/runtime';

const factories: Record<SubgraphName, typeof createAccounts> = {
  accounts: createAccounts,
  catalog: createCatalog,
  bookings: createBookings,
  billing: createBilling,
};

/**
 * The last resort when there is no Redis at all: all four subgraphs and the router in this
 * one process, sharing in-memory event streams (the same interface as Redis Streams). State
 * changes still commit with their outbox rows, but events in flight when the process stops
 * are gone with it: fine for a demo, never for production.
 */
export async function startInProcessStack(options: {
  subgraphEnv: (name: SubgraphName) => NodeJS.ProcessEnv;
  routerEnv: NodeJS.ProcessEnv;
}): Promise<{ stop(): Promise<void> }> {
  const eventStore = new InMemoryStreamStore();
  const livePubSub = inMemoryPubSubEngine().engine;
  const running: { close(): Promise<void> }[] = [];
  const stop = async () => {
    for (const service of running.reverse()) await service.close();
  };
  try {
    for (const name of SUBGRAPH_NAMES) {
      const env = options.subgraphEnv(name);
      const config: SubgraphConfig = readSubgraphConfig(name, env);
      const server: SubgraphServer = await factories[name](config, env, { eventStore, livePubSub });
      running.push(server);
      await server.listen();
    }
    const router = await createRouter(readRouterConfig(options.routerEnv));
    running.push(router);
    await router.listen();
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}
