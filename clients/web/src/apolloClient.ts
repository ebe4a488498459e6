import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, Observable, split, type FetchResult } from '@apollo/client/core';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';

/** Which transport a subscription takes: graphql-ws by default, or `{ context: { transport: 'multipart' } }`. */
export type SubscriptionTransport = 'websocket' | 'multipart';

export interface ClientOptions {
  /** The router's `/graphql` URL (http or https); the WebSocket URL is derived from it. */
  readonly httpUrl: string;
  /** The access token to send, read for every operation (null: anonymous). */
  readonly accessToken: () => string | null;
  /** Told of every result an operation's link chain delivers: one per multipart part. */
  readonly onResult?: (operationName: string, result: FetchResult) => void;
}

export interface BookingClient {
  readonly client: ApolloClient<unknown>;
  /** Closes the WebSocket (the client stays usable over HTTP). */
  dispose(): Promise<void>;
}

const isSubscription = ({ query }: { query: Parameters<typeof getMainDefinition>[0] }): boolean => {
  const definition = getMainDefinition(query);
  return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
};

/**
 * Apollo Client as a frontend sets it up for this router: queries and mutations over HttpLink
 * (which also reads `@defer`'s multipart parts), subscriptions over graphql-ws, or over HttpLink's
 * multipart subscriptions when an operation asks for it in its context. The token goes in the
 * `Authorization` header (HTTP) and in `connectionParams` (WebSocket), as the README says; an
 * operation's context may carry its own `accessToken` (null for none).
 */
export function createBookingClient(options: ClientOptions): BookingClient {
  const tokenFor = (context: Record<string, unknown>): string | null =>
    'accessToken' in context ? (context.accessToken as string | null) : options.accessToken();

  const authorization = new ApolloLink((operation, forward) => {
    const token = tokenFor(operation.getContext());
    if (token) operation.setContext(({ headers }: { headers?: Record<string, string> }) => ({ headers: { ...headers, authorization: `Bearer ${token}` } }));
    return forward(operation);
  });

  // Counts what reaches the page per operation: a deferred query gives one result per part.
  const results = new ApolloLink(
    (operation, forward) =>
      new Observable<FetchResult>((observer) => {
        const subscription = forward(operation).subscribe({
          next: (result) => {
            options.onResult?.(operation.operationName, result);
            observer.next(result);
          },
          error: (error: unknown) => observer.error(error),
          complete: () => observer.complete(),
        });
        return () => subscription.unsubscribe();
      }),
  );

  const http = new HttpLink({ uri: options.httpUrl });
  // lazy: the socket opens with the first subscription, with the token of that moment.
  const socket = createClient({
    url: options.httpUrl.replace(/^http/, 'ws'),
    lazy: true,
    connectionParams: () => {
      const token = options.accessToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  });
  const transport = split(
    (operation) => isSubscription(operation) && operation.getContext().transport !== 'multipart',
    new GraphQLWsLink(socket),
    http,
  );

  const client = new ApolloClient({ link: ApolloLink.from([results, authorization, transport]), cache: new InMemoryCache() });
  return {
    client,
    dispose: async () => {
      client.stop();
      await socket.dispose();
    },
  };
}
