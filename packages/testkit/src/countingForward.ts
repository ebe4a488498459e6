import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What a faulty forward does with one call instead of passing it on at once: answer with an
 * HTTP status (a 503 from a proxy in front of a restarting subgraph), the same after passing
 * the call on and dropping the subgraph's answer (the subgraph saw it), reset the connection
 * before answering, or pass it on after a delay (a slow subgraph).
 */
export type ForwardFault =
  | { readonly status: number; readonly afterPassingOn?: boolean }
  | 'reset'
  | { readonly delayMs: number };

export interface CountingForward {
  /** Where the router should send this subgraph's requests (the subgraph's path kept). */
  readonly url: string;
  /** Requests passed on, plus WebSocket upgrades refused, so far. */
  calls(): number;
  close(): Promise<void>;
}

/**
 * A byte-for-byte forward to one subgraph that counts the requests it passes (and WebSocket
 * upgrades it refuses): proof that a refused, or only planned, operation reached no subgraph.
 * With `faultOf`, call number n (from 1) meets the fault it names, or is passed on when none.
 */
export async function countingForward(target: string, faultOf?: (call: number) => ForwardFault | undefined): Promise<CountingForward> {
  const upstream = new URL(target);
  let calls = 0;
  const server: Server = createServer((incoming, outgoing) => {
    calls += 1;
    const fault = faultOf?.(calls);
    if (fault === 'reset') {
      incoming.socket.resetAndDestroy();
      return;
    }
    if (fault && 'status' in fault && fault.afterPassingOn) {
      pass(incoming, outgoing, fault.status);
      return;
    }
    if (fault && 'status' in fault) {
      incoming.resume();
      outgoing.writeHead(fault.status, { 'content-type': 'text/plain', connection: 'close' });
      outgoing.end('fault injected by the test');
      return;
    }
    if (fault) {
      incoming.pause();
      const timer = setTimeout(() => pass(incoming, outgoing), fault.delayMs);
      outgoing.on('close', () => clearTimeout(timer));
      return;
    }
    pass(incoming, outgoing);
  });
  const pass = (incoming: IncomingMessage, outgoing: ServerResponse, replacedBy?: number) => {
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: incoming.url, method: incoming.method, headers: incoming.headers },
      (answer) => {
        if (replacedBy !== undefined) {
          answer.resume();
          outgoing.writeHead(replacedBy, { 'content-type': 'text/plain' });
          outgoing.end('fault injected by the test');
          return;
        }
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  };
  // A subscription's upstream is a WebSocket to the subgraph: counted, and not passed on
  // (the subscriptions tests send through it are refused before any upstream, or run elsewhere).
  server.on('upgrade', (_incoming, socket: Socket) => {
    calls += 1;
    socket.destroy();
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    calls: () => calls,
    close: () =>
      new Promise((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}
