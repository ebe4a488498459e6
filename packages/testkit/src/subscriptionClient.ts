import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';

type ExecutionResult<Data> = FormattedExecutionResult<Data, unknown>;
import WebSocket from 'ws';

export interface OpenSubscription<Data> {
  readonly results: ExecutionResult<Data>[];
  /** Resolves with the n-th result (1-based) once it has arrived. */
  nth(n: number, timeoutMs?: number): Promise<ExecutionResult<Data>>;
  /** Resolves when the server completes or errors the operation. */
  readonly ended: Promise<{ error?: unknown }>;
  /** Sends `complete` for the operation. */
  complete(): void;
}

export interface SubscriptionConnection {
  readonly client: Client;
  subscribe<Data>(query: string, variables?: Record<string, unknown>, operationName?: string): OpenSubscription<Data>;
  /** Closes the socket without `complete` messages, as a dropped network would. */
  drop(): void;
  dispose(): Promise<void>;
  /** The close event, if the server closed the socket. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

export interface ConnectOptions {
  /** The local address to connect from (another 127.x.y.z is another client address). */
  readonly localAddress?: string;
}

/** A real graphql-ws client over a real WebSocket. */
export function connectSubscriptions(url: string, connectionParams: Record<string, string> = {}, options: ConnectOptions = {}): SubscriptionConnection {
  let socket: WebSocket | undefined;
  let resolveClosed!: (event: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (resolveClosed = resolve));
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: options.localAddress ? fromAddress(options.localAddress) : WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    on: {
      opened: (opened) => {
        socket = opened as WebSocket;
      },
      closed: (event) => {
        const close = event as { code: number; reason: string };
        resolveClosed({ code: close.code, reason: String(close.reason) });
      },
    },
  });
  return {
    client,
    closed,
    subscribe<Data>(query: string, variables?: Record<string, unknown>, operationName?: string): OpenSubscription<Data> {
      const results: ExecutionResult<Data>[] = [];
      const waiters: (() => void)[] = [];
      let resolveEnded!: (outcome: { error?: unknown }) => void;
      const ended = new Promise<{ error?: unknown }>((resolve) => (resolveEnded = resolve));
      const cancel = client.subscribe<Data>(
        { query, variables, operationName },
        {
          next: (result) => {
            results.push(result);
            waiters.splice(0).forEach((wake) => wake());
          },
          error: (error) => resolveEnded({ error }),
          complete: () => resolveEnded({}),
        },
      );
      return {
        results,
        ended,
        complete: cancel,
        async nth(n, timeoutMs = 10_000) {
          const deadline = Date.now() + timeoutMs;
          while (results.length < n) {
            if (Date.now() > deadline) throw new Error(`only ${results.length} of ${n} results within ${timeoutMs} ms`);
            await Promise.race([new Promise<void>((wake) => waiters.push(wake)), new Promise((wake) => setTimeout(wake, 50))]);
          }
          return results[n - 1] as ExecutionResult<Data>;
        },
      };
    },
    drop() {
      socket?.terminate();
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}

/** A WebSocket class whose sockets connect from `localAddress`. */
function fromAddress(localAddress: string): unknown {
  return class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { localAddress });
    }
  };
}

/**
 * A multipart HTTP subscription as Apollo Client opens it, with the raw response for tests that
 * read how the stream ends (the router's final error part, `--graphql--`).
 */
export function openMultipartSubscription(url: string, query: string, accessToken: string): Promise<IncomingMessage> {
  const request = httpRequest(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'multipart/mixed;subscriptionSpec=1.0', authorization: `Bearer ${accessToken}` },
  });
  request.end(JSON.stringify({ query }));
  return new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
}
