import type { Server } from 'node:http';
import type { Logger, RevokedSessions, Viewer } from '@booking/runtime';
import { GraphQLError, print, type ExecutionArgs, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { FormattedExecutionResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { AccessRequirements } from '../auth/accessRequirements';
import { sessionFromAuthorization, type TokenVerifier } from '../auth/tokenVerifier';
import type { FederatedSubscriptions } from './federatedSubscriptions';
import { SLOW_CONSUMER_CLOSE_CODE, tooFarBehind } from './backpressure';
import { prepareSubscription } from './subscriptionRequest';

export interface RouterSubscriptionOptions {
  readonly server: Server;
  /** The schema and access rules in force now (they change on a supergraph reload). */
  readonly current: () => { apiSchema: GraphQLSchema; requirements: AccessRequirements };
  readonly verifyToken: TokenVerifier;
  /** Revoked sessions (logout): a socket opened with a token of one is closed at once. */
  readonly revokedSessions?: Pick<RevokedSessions, 'onRevoked'> | null;
  readonly subscriptions: FederatedSubscriptions;
  readonly logger: Logger;
  readonly maxPerConnection: number;
  readonly maxBacklogBytes: number;
}

interface OperationContext {
  readonly viewer: Viewer | null;
  /** Fields removed by authorization, reported with every event of the operation. */
  readonly authorizationErrors: readonly GraphQLError[];
}

function bearer(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

/**
 * graphql-ws on the router's /graphql. connection_init may carry `authorization: Bearer …`;
 * a bad token closes the socket with 4403. Each subscribe is validated against the API
 * schema, authorized like HTTP operations, then executed federated.
 */
export function attachRouterSubscriptions(options: RouterSubscriptionOptions): { close(): Promise<void> } {
  const sockets = new WebSocketServer({ server: options.server, path: '/graphql' });
  const viewers = new WeakMap<object, Viewer | null>();
  const operations = new WeakMap<object, Set<string>>();
  const disposable = useServer<Record<string, unknown>>(
    {
      connectionInitWaitTimeout: 3_000,
      onConnect: async (ctx) => {
        let session;
        try {
          session = await sessionFromAuthorization(bearer(ctx.connectionParams), options.verifyToken);
        } catch (error) {
          options.logger.info({ reason: (error as Error).message }, 'refused a subscription connection');
          return false;
        }
        viewers.set(ctx, session?.viewer ?? null);
        operations.set(ctx, new Set());
        if (session) {
          // The socket lives no longer than the token that opened it.
          const socket = ctx.extra.socket;
          const expiry = setTimeout(() => socket.close(4403, 'Forbidden: the access token has expired'), Math.max(0, session.expiresAt - Date.now()));
          const unwatch = session.sessionId
            ? options.revokedSessions?.onRevoked(session.sessionId, () => socket.close(4403, 'Forbidden: the session has ended (signed out)'))
            : undefined;
          socket.once('close', () => {
            clearTimeout(expiry);
            unwatch?.();
          });
        }
        return true;
      },
      onComplete: (ctx, id) => {
        operations.get(ctx)?.delete(id);
      },
      onSubscribe: (ctx, id, payload) => {
        const open = operations.get(ctx);
        if (open && open.size >= options.maxPerConnection) {
          return [
            new GraphQLError(`A connection may hold at most ${options.maxPerConnection} subscriptions`, {
              extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
            }),
          ];
        }
        open?.add(id);
        const viewer = viewers.get(ctx) ?? null;
        const { apiSchema, requirements } = options.current();
        const prepared = prepareSubscription(apiSchema, requirements, payload, viewer);
        if (prepared.kind === 'rejected') return [...prepared.errors];
        if (prepared.kind === 'not-a-subscription') {
          return [
            new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP', {
              extensions: { code: 'BAD_REQUEST' },
            }),
          ];
        }
        const contextValue: OperationContext = { viewer, authorizationErrors: prepared.authorizationErrors };
        const args: ExecutionArgs = {
          schema: apiSchema,
          document: prepared.document,
          operationName: prepared.operationName,
          variableValues: prepared.variables,
          contextValue,
        };
        return args;
      },
      subscribe: (args) => {
        const context = args.contextValue as OperationContext;
        return options.subscriptions.subscribe({
          document: args.document,
          source: print(args.document),
          operationName: args.operationName ?? undefined,
          variables: (args.variableValues ?? {}) as Record<string, unknown>,
          viewer: context.viewer,
        });
      },
      onNext: (ctx, _id, _payload, args, result) => {
        const socket = ctx.extra.socket;
        if (tooFarBehind(socket.bufferedAmount, options.maxBacklogBytes)) {
          socket.close(SLOW_CONSUMER_CLOSE_CODE, 'Slow consumer: too far behind');
          // The close frame queues behind the backlog; drop the connection if it cannot get through.
          setTimeout(() => socket.terminate(), 1_000).unref();
          return undefined;
        }
        const removed = (args.contextValue as OperationContext).authorizationErrors;
        if (removed.length === 0) return undefined;
        const formatted: FormattedExecutionResult = {
          data: result.data,
          errors: [...removed, ...((result.errors ?? []) as readonly (GraphQLError | GraphQLFormattedError)[])].map((error) =>
            error instanceof GraphQLError ? error.toJSON() : error,
          ),
        };
        return formatted;
      },
    },
    sockets,
  );
  return {
    async close() {
      for (const client of sockets.clients) client.close(1001, 'router shutting down');
      await disposable.dispose();
    },
  };
}
