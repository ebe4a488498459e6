import type { IncomingMessage, Server } from 'node:http';
import type { Logger, RevokedSessions, Viewer } from '@booking/runtime/dist/router';
import { GraphQLError, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { FormattedExecutionResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AccessRequirements } from '../auth/accessRequirements';
import type { DeniedFields } from '../auth/operationAuthorizer';
import { sessionFromAuthorization, type TokenVerifier } from '../auth/tokenVerifier';
import type { FederatedSubscriptions } from './federatedSubscriptions';
import { SLOW_CONSUMER_CLOSE_CODE, tooFarBehind } from './backpressure';
import { clientAddressOf } from './clientAddress';
import { prepareSubscription } from './subscriptionRequest';
import { REQUEST_ID_HEADER, type RequestLog, type RequestLogRecord } from '../pipeline/requestLog';
import type { Admission, Disclosure, OperationRequest } from '../pipeline/operationPipeline';
import { asksForCost, asksForCostBy, EXPOSE_COST_HEADER, withResponseExtensions, type ResponseExtensions } from '../pipeline/costExposure';

export interface RouterSubscriptionOptions {
  readonly server: Server;
  /** The schema and access rules in force now (they change on a supergraph reload). */
  readonly current: () => { apiSchema: GraphQLSchema; requirements: AccessRequirements };
  readonly verifyToken: TokenVerifier;
  /** Revoked sessions (logout): a socket opened with a token of one is closed at once. */
  readonly revokedSessions?: Pick<RevokedSessions, 'onAccessRevoked'> | null;
  readonly subscriptions: FederatedSubscriptions;
  readonly logger: Logger;
  /** Every subscribe is logged: refused, or started and (with its event count) ended. */
  readonly requestLog: RequestLog;
  readonly maxPerConnection: number;
  /** Open WebSockets, in all and from one client address. */
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly maxBacklogBytes: number;
  /** Ping interval; a socket that has not answered one ping by the next is dropped. */
  readonly keepAliveMs: number;
  /** How long a socket closed as too slow has to read up to the close frame before it is destroyed. */
  readonly slowConsumerCloseGraceMs: number;
  /** The request pipeline's operation stages (persisted queries, limits, cost, rate limit), as for HTTP. */
  readonly admitOperation: (payload: OperationRequest, viewer: Viewer | null, upgrade: IncomingMessage, asked: Disclosure) => Promise<Admission>;
}

interface Connection {
  readonly viewer: Viewer | null;
  readonly address: string;
  /** This socket's subscriptions that were admitted and have not ended, by id, with their log. */
  readonly open: Map<string, RequestLogRecord>;
  /** Subscribes still in the request pipeline (awaiting the rate limit): they hold a slot too. */
  admitting: number;
  /**
   * What the client asked to be told, for every subscription of the socket: the upgrade's
   * `graphql-expose-cost` header, or the same key in connection_init's payload (browsers cannot
   * set headers on a WebSocket).
   */
  readonly asked: Disclosure;
}

interface OperationContext {
  /** Fields removed by authorization, reported with every event of the operation. */
  readonly denials: DeniedFields;
  /** Opened (admitted) in onSubscribe, so that a refusal is an `error` message, never a close. */
  readonly stream: AsyncIterableIterator<ExecutionResult>;
  readonly record: RequestLogRecord;
  /** What the request stages add to `extensions` (the cost, when the upgrade asked for it): on the first event, then cleared. */
  firstEventExtensions: ResponseExtensions | undefined;
}

function bearer(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

const tooManyConnections = (message: string) =>
  JSON.stringify({ errors: [{ message: `${message}; try again later`, extensions: { code: 'TOO_MANY_CONNECTIONS' } }] });

/**
 * graphql-ws on the router's /graphql. connection_init may carry `authorization: Bearer …`;
 * a bad token closes the socket with 4403. Each subscribe is validated against the API
 * schema, authorized like HTTP operations, admitted against the caps, then executed
 * federated; any refusal is an `error` message for that subscription and the socket stays
 * open. Only subscriptions that were admitted hold one of the connection's slots.
 */
export function attachRouterSubscriptions(options: RouterSubscriptionOptions): { close(): Promise<void> } {
  const perAddress = new Map<string, number>();
  let total = 0;
  const sockets = new WebSocketServer({
    server: options.server,
    path: '/graphql',
    // Checked here and counted on 'connection', which ws emits in the same synchronous run.
    verifyClient: (info: { req: IncomingMessage }, done: (verified: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) => {
      const address = clientAddressOf(info.req.socket.remoteAddress);
      const json = { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '10' };
      if ((perAddress.get(address) ?? 0) >= options.maxConnectionsPerAddress) {
        return done(false, 429, tooManyConnections(`At most ${options.maxConnectionsPerAddress} subscription connections per client address`), json);
      }
      if (total >= options.maxConnections) return done(false, 503, tooManyConnections('This router holds all the subscription connections it may'), json);
      done(true);
    },
  });
  // The socket's request id (the client's x-request-id if well formed) goes back in the 101 response.
  sockets.on('headers', (headers: string[], request: IncomingMessage) => {
    headers.push(`${REQUEST_ID_HEADER}: ${options.requestLog.upgraded(request)}`);
  });
  sockets.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const address = clientAddressOf(request.socket.remoteAddress);
    total += 1;
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    socket.once('close', () => {
      total -= 1;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left === 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });

  /**
   * The client is not reading: its events wait in the router. Send 1013 (graphql-ws clients
   * reconnect and resubscribe on it); the frame queues behind what the client has not read,
   * so if the client still reads nothing the socket is destroyed after a grace (1006 for it).
   */
  const cutOff = (socket: WebSocket): boolean => {
    if (socket.readyState !== socket.OPEN) return false;
    options.logger.info({ unsentBytes: socket.bufferedAmount }, 'closing a subscription socket whose client is too far behind');
    socket.close(SLOW_CONSUMER_CLOSE_CODE, 'Slow consumer: too far behind');
    setTimeout(() => socket.terminate(), options.slowConsumerCloseGraceMs).unref();
    return true;
  };

  const connections = new WeakMap<object, Connection>();
  const disposable = useServer<Record<string, unknown>, { socket: WebSocket; request: IncomingMessage }>(
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
        connections.set(ctx, {
          viewer: session?.viewer ?? null,
          address: clientAddressOf(ctx.extra.request.socket.remoteAddress),
          open: new Map(),
          admitting: 0,
          asked: { cost: asksForCost(ctx.extra.request) || asksForCostBy(ctx.connectionParams?.[EXPOSE_COST_HEADER]) },
        });
        if (session) {
          // The socket lives no longer than the token that opened it.
          const socket = ctx.extra.socket;
          const expiry = setTimeout(() => socket.close(4403, 'Forbidden: the access token has expired'), Math.max(0, session.expiresAt - Date.now()));
          const unwatch = options.revokedSessions?.onAccessRevoked(session.sessionId, session.viewer.userId, () =>
            socket.close(4403, 'Forbidden: the session has ended (signed out or account deleted)'),
          );
          socket.once('close', () => {
            clearTimeout(expiry);
            unwatch?.();
          });
        }
        return true;
      },
      // An admitted stream that failed: its codes go in its last line.
      onError: (ctx, id, _payload, errors) => {
        connections.get(ctx)?.open.get(id)?.errors(errors);
        return undefined;
      },
      onComplete: (ctx, id) => {
        const open = connections.get(ctx)?.open;
        const record = open?.get(id);
        open?.delete(id);
        if (record) options.requestLog.finishSubscription(record);
      },
      onSubscribe: async (ctx, id, payload) => {
        const record = options.requestLog.forSubscription(ctx.extra.request, id);
        const refused = (errors: readonly GraphQLError[]) => {
          options.requestLog.refusedSubscription(record, errors);
          return [...errors];
        };
        const connection = connections.get(ctx);
        if (!connection) return refused([new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
        if (connection.open.size + connection.admitting >= options.maxPerConnection) {
          return refused([
            new GraphQLError(`A connection may hold at most ${options.maxPerConnection} subscriptions; complete one first`, {
              extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
            }),
          ]);
        }
        // The slot is held from now: subscribes sent together cannot all pass the cap while they wait.
        connection.admitting += 1;
        let admission;
        try {
          admission = await options.admitOperation(payload, connection.viewer, ctx.extra.request, connection.asked);
        } finally {
          connection.admitting -= 1;
        }
        if (admission.kind === 'refused') {
          const { refusal } = admission;
          return refused([new GraphQLError(refusal.message, { extensions: { code: refusal.code, ...refusal.extensions, ...(refusal.headers ? { headers: refusal.headers } : {}) } })]);
        }
        const { apiSchema, requirements } = options.current();
        const prepared = prepareSubscription(apiSchema, requirements, admission.request, connection.viewer);
        if (prepared.kind === 'rejected') return refused(prepared.errors);
        if (prepared.kind === 'not-a-subscription') {
          return refused([
            new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP', {
              extensions: { code: 'BAD_REQUEST' },
            }),
          ]);
        }
        record.operation(prepared.definedName, 'subscription');
        const socket = ctx.extra.socket;
        const stream = options.subscriptions.subscribe(
          {
            document: prepared.document,
            source: prepared.source,
            operationName: prepared.operationName,
            variables: prepared.variables,
            viewer: connection.viewer,
            clientAddress: connection.address,
            log: record,
          },
          () => {
            if (cutOff(socket)) record.slowConsumer();
          },
        );
        if (stream instanceof GraphQLError) return refused([stream]);
        connection.open.set(id, record);
        record.streamStarted('ws');
        const contextValue: OperationContext = {
          denials: prepared.denials,
          stream,
          record,
          firstEventExtensions: Object.keys(admission.extensions).length > 0 ? admission.extensions : undefined,
        };
        const args: ExecutionArgs = {
          schema: apiSchema,
          document: prepared.document,
          operationName: prepared.operationName,
          variableValues: prepared.variables,
          contextValue,
        };
        return args;
      },
      subscribe: (args) => (args.contextValue as OperationContext).stream,
      onNext: (ctx, _id, _payload, args, result) => {
        (args.contextValue as OperationContext).record.event(result.errors);
        const socket = ctx.extra.socket;
        if (tooFarBehind(socket.bufferedAmount, options.maxBacklogBytes)) {
          if (cutOff(socket)) (args.contextValue as OperationContext).record.slowConsumer();
          return undefined;
        }
        const context = args.contextValue as OperationContext;
        const added = context.firstEventExtensions;
        context.firstEventExtensions = undefined;
        if (context.denials.empty && !added) return undefined;
        const removed = context.denials.errorsIn(result.data);
        const errors = [...removed, ...((result.errors ?? []) as readonly (GraphQLError | GraphQLFormattedError)[])];
        const formatted: FormattedExecutionResult = {
          data: result.data,
          ...(errors.length > 0 ? { errors: errors.map((error) => (error instanceof GraphQLError ? error.toJSON() : error)) } : {}),
          ...(result.extensions || added ? { extensions: withResponseExtensions(result.extensions, added) } : {}),
        };
        return formatted;
      },
    },
    sockets,
    options.keepAliveMs,
  );
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        // 1012 "service restart": graphql-ws clients reconnect (to another instance behind the
        // load balancer) and subscribe again; 1001 "going away" says less about why.
        for (const client of sockets.clients) client.close(1012, 'router restarting: reconnect');
        await Promise.resolve(disposable.dispose()).catch((error: unknown) => {
          // ws refuses to close a server it already closed; at shutdown that is the goal reached.
          if (!(error instanceof Error && error.message === 'The server is not running')) throw error;
        });
      })();
      return closing;
    },
  };
}
