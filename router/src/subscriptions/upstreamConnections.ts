import { routerCallSigner, type Viewer } from '@booking/runtime';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

interface Pooled {
  client: Client;
  users: number;
  /** The socket the subgraph acknowledged (connection_ack) and that has not closed since. */
  connected: unknown;
}

export interface UpstreamConnection {
  readonly client: Client;
  /**
   * Runs `listener` once the socket is acknowledged (at once when it already is); returns the
   * cancel. A subscribe sent on an acknowledged socket has reached the subgraph.
   */
  onceConnected(listener: () => void): () => void;
  release(): void;
}

/**
 * One graphql-ws socket per (subgraph, identity), shared by every subscription of that
 * identity to that subgraph and closed when its last subscription ends. The identity is part
 * of the key because the socket's connection_init carries it, signed, to the subgraph.
 */
export class UpstreamConnections {
  private readonly pool = new Map<string, Pooled>();

  constructor(private readonly signingSecret: string) {}

  acquire(serviceName: string, url: string, viewer: Viewer | null): UpstreamConnection {
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
      const created: Pooled = { client, users: 0, connected: undefined };
      client.on('connected', (socket) => (created.connected = socket));
      // Only its own close: a failed earlier attempt's close can come after a newer socket's ack.
      client.on('closed', (event) => {
        if (event && typeof event === 'object' && 'target' in event && event.target === created.connected) created.connected = undefined;
      });
      pooled = created;
      this.pool.set(key, pooled);
    }
    const entry = pooled;
    entry.users += 1;
    let released = false;
    return {
      client: entry.client,
      onceConnected: (listener) => {
        if (entry.connected !== undefined) {
          listener();
          return () => undefined;
        }
        let fired = false;
        const stop = entry.client.on('connected', () => {
          if (fired) return;
          fired = true;
          // Not removed while graphql-ws walks its listeners: that would skip the next one.
          queueMicrotask(stop);
          listener();
        });
        return () => {
          fired = true;
          stop();
        };
      },
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
