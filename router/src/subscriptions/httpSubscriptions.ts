import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, type Logger, type RevokedSessions } from '@booking/runtime';
import type { ExecutionResult, GraphQLError, GraphQLSchema } from 'graphql';
import type { AccessRequirements } from '../auth/accessRequirements';
import { sessionFromAuthorization, type TokenVerifier } from '../auth/tokenVerifier';
import type { FederatedSubscriptions } from './federatedSubscriptions';
import { DEFAULT_MAX_BACKLOG_BYTES, SLOW_CONSUMER_ERROR, tooFarBehind } from './backpressure';
import { isSubscriptionPayload, prepareSubscription } from './subscriptionRequest';

export interface HttpSubscriptionOptions {
  /** The schema and access rules in force now (they change on a supergraph reload). */
  readonly current: () => { apiSchema: GraphQLSchema; requirements: AccessRequirements };
  readonly verifyToken: TokenVerifier;
  readonly subscriptions: FederatedSubscriptions;
  readonly logger: Logger;
  /** Multipart heartbeat interval (Apollo's spec: every 5 s). */
  readonly heartbeatMs?: number;
  readonly maxBacklogBytes?: number;
  /** Revoked sessions (logout): a stream opened with a token of one ends at once. */
  readonly revokedSessions?: Pick<RevokedSessions, 'onRevoked'> | null;
}

type Transport = 'multipart' | 'sse';

function transportOf(request: IncomingMessage): Transport | undefined {
  const accept = String(request.headers.accept ?? '');
  if (/multipart\/mixed/i.test(accept) && /subscriptionSpec/i.test(accept)) return 'multipart';
  if (/text\/event-stream/i.test(accept)) return 'sse';
  return undefined;
}

function withRemovedFields(result: ExecutionResult, removed: readonly GraphQLError[]): ExecutionResult {
  if (removed.length === 0) return result;
  return { ...result, errors: [...removed, ...(result.errors ?? [])] };
}

/**
 * Subscriptions over plain HTTP on the router's /graphql:
 * - Apollo Client's multipart protocol (`Accept: multipart/mixed;subscriptionSpec=1.0`): each
 *   event a `{"payload": …}` part, `{}` heartbeats, `{"payload":null,"errors":[…]}` on a fatal
 *   error, closed by `--graphql--`;
 * - graphql-sse's distinct-connection mode (`Accept: text/event-stream`): `next` events, then `complete`.
 * A client closing its connection ends the upstream subscription at once.
 */
export function createHttpSubscriptionHandler(options: HttpSubscriptionOptions) {
  return async (request: IncomingMessage, response: ServerResponse, body: unknown): Promise<boolean> => {
    const transport = transportOf(request);
    if (!transport || !isSubscriptionPayload(body)) return false;
    let session;
    try {
      session = await sessionFromAuthorization(request.headers.authorization, options.verifyToken);
    } catch (error) {
      const graphqlError = error as GraphQLError;
      sendJson(response, 401, { errors: [graphqlError.toJSON()] });
      return true;
    }
    const viewer = session?.viewer ?? null;
    const { apiSchema, requirements } = options.current();
    const prepared = prepareSubscription(apiSchema, requirements, body, viewer);
    if (prepared.kind === 'not-a-subscription') return false;
    if (prepared.kind === 'rejected') {
      sendJson(response, 200, { errors: prepared.errors.map((error) => error.toJSON()) });
      return true;
    }
    let iterator: AsyncIterableIterator<ExecutionResult>;
    try {
      iterator = options.subscriptions.subscribe({
        document: prepared.document,
        source: body.query,
        operationName: prepared.operationName,
        variables: prepared.variables,
        viewer,
      });
    } catch (error) {
      sendJson(response, 200, { errors: [(error as GraphQLError).toJSON?.() ?? { message: String(error) }] });
      return true;
    }
    const stop = () => void iterator.return?.();
    response.once('close', stop);
    // The stream lives no longer than the token that opened it.
    let expired = false;
    const expiry = session
      ? setTimeout(() => {
          expired = true;
          stop();
        }, Math.max(0, session.expiresAt - Date.now()))
      : undefined;
    let signedOut = false;
    const unwatch = session?.sessionId
      ? options.revokedSessions?.onRevoked(session.sessionId, () => {
          signedOut = true;
          stop();
        })
      : undefined;
    let slow = false;
    const maxBacklog = options.maxBacklogBytes ?? DEFAULT_MAX_BACKLOG_BYTES;
    const guarded = guardBacklog(response, iterator, maxBacklog, () => (slow = true));
    const ended = () => (signedOut ? SESSION_ENDED : expired ? TOKEN_EXPIRED : slow ? SLOW_CONSUMER_ERROR : undefined);
    if (transport === 'multipart') await streamMultipart(response, guarded, prepared.authorizationErrors, options.heartbeatMs ?? 5_000, ended);
    else await streamSse(response, guarded, prepared.authorizationErrors, ended);
    clearTimeout(expiry);
    unwatch?.();
    return true;
  };
}

const TOKEN_EXPIRED = { message: 'Unauthenticated: the access token has expired', extensions: { code: 'UNAUTHENTICATED' } };

/** Why the server ended a stream, if it was not the client or the upstream. */
const SESSION_ENDED = { message: 'Unauthenticated: the session has ended (signed out)', extensions: { code: 'UNAUTHENTICATED' } };

type EndReason = () => typeof TOKEN_EXPIRED | typeof SESSION_ENDED | typeof SLOW_CONSUMER_ERROR | undefined;

/** Ends the stream when the client leaves more than `limit` bytes unread. */
async function* guardBacklog(
  response: ServerResponse,
  iterator: AsyncIterableIterator<ExecutionResult>,
  limit: number,
  onSlow: () => void,
): AsyncGenerator<ExecutionResult> {
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      // A response hands its bytes to the socket at once; the backlog piles up in the socket.
      if (tooFarBehind(response.writableLength + (response.socket?.writableLength ?? 0), limit)) {
        onSlow();
        return;
      }
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}

async function streamMultipart(
  response: ServerResponse,
  iterator: AsyncIterable<ExecutionResult>,
  removed: readonly GraphQLError[],
  heartbeatMs: number,
  endReason: EndReason,
): Promise<void> {
  response.writeHead(200, { 'content-type': 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0', 'cache-control': 'no-cache' });
  // Clients wait for the headers; without a flush they would arrive with the first part.
  response.flushHeaders();
  const part = (json: unknown) => response.write(`\r\n--graphql\r\ncontent-type: application/json\r\n\r\n${JSON.stringify(json)}`);
  const heartbeat = setInterval(() => part({}), heartbeatMs);
  try {
    for await (const result of iterator) part({ payload: withRemovedFields(result, removed) });
  } catch (error) {
    part({ payload: null, errors: [{ message: (error as Error).message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  } finally {
    clearInterval(heartbeat);
    const reason = endReason();
    if (reason && !response.writableEnded) part({ payload: null, errors: [reason] });
    if (!response.writableEnded) response.end('\r\n--graphql--\r\n');
  }
}

async function streamSse(
  response: ServerResponse,
  iterator: AsyncIterable<ExecutionResult>,
  removed: readonly GraphQLError[],
  endReason: EndReason,
): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  response.write(':\n\n');
  const keepAlive = setInterval(() => response.write(':\n\n'), 12_000);
  try {
    for await (const result of iterator) response.write(`event: next\ndata: ${JSON.stringify(withRemovedFields(result, removed))}\n\n`);
  } catch (error) {
    response.write(`event: next\ndata: ${JSON.stringify({ errors: [{ message: (error as Error).message }] })}\n\n`);
  } finally {
    clearInterval(keepAlive);
    const reason = endReason();
    if (reason && !response.writableEnded) response.write(`event: next\ndata: ${JSON.stringify({ errors: [reason] })}\n\n`);
    if (!response.writableEnded) response.end('event: complete\ndata:\n\n');
  }
}
