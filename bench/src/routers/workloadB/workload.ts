/**
 * Workload B: The Guild's gateway benchmark. Its four subgraphs (ported to Node, one process),
 * composed here with @apollo/composition, and its nested query, unchanged.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { Teardown, workloadRedis, type BenchOperation, type WorkloadOptions, type WorkloadSetup } from '../harness';
import { findFreePort } from '@booking/infra';
import { graphqlAnswers, startPinned, startReplayProxyProcess } from '../processes';
import { launchRouters, ROOT, type RouterLaunch } from '../routersUnderTest';
import { GUILD_SUBGRAPH_NAMES, GUILD_SUBGRAPHS } from './subgraphs';

/** The benchmark's query, as its k6 script sends it. */
export const GUILD_QUERY = `fragment User on User {
  id
  username
  name
}

fragment Review on Review {
  id
  body
}

fragment Product on Product {
  inStock
  name
  price
  shippingEstimate
  upc
  weight
}

query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews {
          ...Review
          author {
            ...User
            reviews {
              ...Review
              product {
                ...Product
              }
            }
          }
        }
      }
    }
  }
  topProducts {
    ...Product
    reviews {
      ...Review
      author {
        ...User
        reviews {
          ...Review
          product {
            ...Product
          }
        }
      }
    }
  }
}`;

export function composeGuildSupergraph(subgraphUrl: (name: string) => string): string {
  const result = composeServices(
    GUILD_SUBGRAPH_NAMES.map((name) => ({ name, url: subgraphUrl(name), typeDefs: GUILD_SUBGRAPHS[name].typeDefs })),
  );
  if (result.errors || !result.supergraphSdl) {
    throw new Error(`the Guild subgraphs do not compose: ${(result.errors ?? []).map((error) => error.message).join('; ')}`);
  }
  return result.supergraphSdl;
}

export async function setUpWorkloadB(options: WorkloadOptions): Promise<WorkloadSetup> {
  const teardown = new Teardown();
  try {
    const subgraphPort = await findFreePort();
    const subgraphs = startPinned({
      name: 'guild-subgraphs',
      core: options.serviceCore,
      nodeArgs: [resolve(__dirname, 'guildServer.js'), String(subgraphPort)],
    });
    teardown.add(() => subgraphs.stop());
    await subgraphs.waitUntilReady(graphqlAnswers(`http://127.0.0.1:${subgraphPort}/accounts`));

    const proxy = await startReplayProxyProcess(options.serviceCore, {
      mode: options.mode,
      targets: Object.fromEntries(GUILD_SUBGRAPH_NAMES.map((name) => [name, `http://127.0.0.1:${subgraphPort}/${name}`])),
    });
    teardown.add(() => proxy.process.stop());
    const proxyUrl = proxy.url;

    mkdirSync(options.workDir, { recursive: true });
    const supergraphPath = resolve(options.workDir, 'guild-supergraph.graphql');
    writeFileSync(supergraphPath, composeGuildSupergraph((name) => `${proxyUrl}/${name}`));
    const launch: RouterLaunch = {
      supergraphPath,
      core: options.routerCore,
      serviceCore: options.serviceCore,
      cpuProfileDir: options.cpuProfileDir,
      redisUrl: await workloadRedis(teardown, resolve(ROOT, '.data', 'bench-redis')),
      oursEnv: {
        ROUTER_SIGNING_SECRET: randomBytes(32).toString('hex'),
        // No token is ever sent in this workload, so the key set is never fetched.
        JWKS_URL: `${proxyUrl}/jwks-unused`,
        // The Guild's supergraph declares no @listSize, so its nested query is estimated with the
        // default list size (24,420, over the default MAX_OPERATION_COST): the estimate still
        // runs, nothing is refused (the peers enforce no cost limit either).
        MAX_OPERATION_COST: process.env.MAX_OPERATION_COST ?? 'off',
      },
    };
    const { routers, notStarted } = await launchRouters(launch);
    teardown.add(async () => {
      await Promise.all(routers.map((router) => router.stop()));
    });
    const operation: BenchOperation = {
      id: 'guild',
      title: "The Guild's nested query (users → reviews → product → reviews → author → reviews → product, and topProducts)",
      body: { kind: 'fixed', json: JSON.stringify({ query: GUILD_QUERY }) },
      headers: {},
      floor: false,
    };
    return {
      id: 'B',
      title: "Workload B: The Guild's gateway benchmark (accounts, inventory, products, reviews)",
      proxyUrl,
      routers,
      notStarted,
      operations: [operation],
      facts: { subgraphs: 'Node, one process, in-memory data of the original', mode: options.mode },
      stop: () => teardown.run(),
    };
  } catch (error) {
    await teardown.run();
    throw error;
  }
}
