import { routerCallSigner, type Viewer } from '@booking/runtime';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

interface Pooled {
  client: Client;
  users: number;
}

/**
 * One graphql-ws socket per (subgraph, identity), shared by every subscription of that
 * identity to that subgraph and closed when its last subscription ends. The identity is part
 * of the key because the socket's connection_init carries it, signed, to the subgraph.
 */
export class UpstreamConnections {
  private readonly pool = new Map<string, Pooled>();

  constructor(private readonly signingSecret: string) {}

  acquire(serviceName: string, url: string, viewer: Viewer | null): { client: Client; release(): void } {
    const key = `${url}\n${viewer?.userId ?? ''}\n${viewer?.role ?? ''}\n${viewer?.scopes.join(' ') ?? ''}`;
    let pooled = this.pool.get(key);
    if (!pooled) {
      const signer = routerCallSigner(this.signingSecret, viewer);
      const client = createClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        // Signed for this subgraph each time the socket opens (a reconnect too): fresh timestamp and nonce.
        connectionParams: () => signer.connectionInit(serviceName),
        lazy: true,
        lazyCloseTimeout: 0,
        retryAttempts: 0,
      });
      pooled = { client, users: 0 };
      this.pool.set(key, pooled);
    }
    const entry = pooled;
    entry.users += 1;
    let released = false;
    return {
      client: entry.client,
      release: () => {
        if (released) return;
        released = true;
        entry.users -= 1;
        if (entry.users === 0) {
          this.pool.delete(key);
          void entry.client.dispose();
        }
      },
    };
  }

  get openSockets(): number {
    return this.pool.size;
  }

  async closeAll(): Promise<void> {
    const clients = [...this.pool.values()].map((pooled) => pooled.client);
    this.pool.clear();
    await Promise.all(clients.map((client) => client.dispose()));
  }
}
