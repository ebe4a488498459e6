import { createServer, type Server, type Socket } from 'node:net';
import { UpstreamConnections } from '../src/subscriptions/upstreamConnections';

/**
 * Closing the router's upstream sockets while a connection attempt is under way (a subgraph
 * restarting under a resubscribe): graphql-ws' dispose() rejects with the attempt's error, which
 * failed the router's shutdown with 'socket hang up'; and an attempt the subgraph never answers
 * (a frozen process) would hold the shutdown for good.
 */
const SECRET = 'upstream-connections-test-secret-0123456789abcdef';

interface Listener {
  readonly url: string;
  readonly accepted: () => number;
  close(): Promise<void>;
}

/** A TCP listener that does `onSocket` with every connection. */
async function listener(onSocket: (socket: Socket) => void): Promise<Listener> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}/graphql`,
    accepted: () => accepted,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Acquires a socket and starts a subscription on it, which makes graphql-ws connect. */
function subscribeThrough(connections: UpstreamConnections, url: string): void {
  const connection = connections.acquire('bookings', url, null);
  connection.client.subscribe({ query: 'subscription { bookingUpdated(id: "1") { status } }' }, { next: () => undefined, error: () => undefined, complete: () => undefined });
}

describe('closing upstream subscription sockets', () => {
  it('closes cleanly while a connection attempt fails (the subgraph hangs up)', async () => {
    let hangUp: (() => void) | undefined;
    const server = await listener((socket) => {
      hangUp = () => socket.destroy();
    });
    try {
      const connections = new UpstreamConnections(SECRET);
      subscribeThrough(connections, server.url);
      await waitFor(() => hangUp !== undefined);
      const closing = connections.closeAll();
      hangUp!();
      await expect(closing).resolves.toBeUndefined();
      expect(connections.openSockets).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('bounds the close of an attempt the subgraph never answers (a frozen process)', async () => {
    const server = await listener(() => undefined);
    try {
      const connections = new UpstreamConnections(SECRET);
      subscribeThrough(connections, server.url);
      await waitFor(() => server.accepted() === 1);
      const started = Date.now();
      await expect(connections.closeAll()).resolves.toBeUndefined();
      // The grace for a connecting socket is a second; without it this never settled.
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await server.close();
    }
  });
});
