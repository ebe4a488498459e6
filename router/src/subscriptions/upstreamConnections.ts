import { routerCallSigner, type Viewer } from '@booking/runtime/dist/router';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * ws' WebSocket with an 'error' listener of its own from the start. graphql-ws' terminate()
 * closes a socket still connecting and then drops its error handler, and ws reports that close
 * as an 'error' event a tick later: with no listener left, an EventEmitter throws it (the
 * router would crash on shutdown). graphql-ws still hears every error through its own handler.
 */
class GuardedWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    this.on('error', () => undefined);
  }
}

/** How long closing waits for a socket still connecting: a frozen subgraph never answers the upgrade. */
const CONNECTING_GRACE_MS = 1_000;

/**
 * Closes a client's socket. graphql-ws' dispose() waits for a connection attempt under way and
 * rejects with its error when it fails ('socket hang up' from a subgraph that is restarting):
 * then there is nothing to close, which is no failure of the close. An attempt that neither
 * opens nor fails within CONNECTING_GRACE_MS is terminated, so the router's shutdown is bounded.
 */
async function closeClient(client: Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    Promise.resolve(client.dispose()).then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolveLate) => {
      timer = setTimeout(() => resolveLate(false), CONNECTING_GRACE_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!closed) client.terminate();
}

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
        webSocketImpl: GuardedWebSocket,
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
          void closeClient(entry.client);
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
    await Promise.all(clients.map(closeClient));
  }
}
