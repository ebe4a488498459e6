import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, type RevokedSessions } from '@booking/runtime/dist/router';
import { GraphQLError, type ExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { AccessRequirements } from '../auth/accessRequirements';
import type { DeniedFields } from '../auth/operationAuthorizer';
import { sessionFromAuthorization, type TokenVerifier } from '../auth/tokenVerifier';
import type { FederatedSubscriptions } from './federatedSubscriptions';
import { DEFAULT_MAX_BACKLOG_BYTES, DEFAULT_SLOW_CONSUMER_CLOSE_GRACE_MS, SLOW_CONSUMER_ERROR, SUBSCRIBER_BUFFER, slowSubscriberError, tooFarBehind } from './backpressure';
import { clientAddressOf } from './clientAddress';
import { withResponseExtensions, type ResponseExtensions } from '../pipeline/costExposure';
import { NOTHING_ADDED, type ResponseAdditions } from '../pipeline/responseExtensions';
import type { RequestLog, RequestLogRecord } from '../pipeline/requestLog';
import { isSubscriptionPayload, prepareSubscription } from './subscriptionRequest';

export interface HttpSubscriptionOptions {
  /** The schema and access rules in force now (they change on a supergraph reload). */
  readonly current: () => { apiSchema: GraphQLSchema; requirements: AccessRequirements };
  readonly verifyToken: TokenVerifier;
  readonly subscriptions: FederatedSubscriptions;
  /** Each stream is logged when it starts and when it ends (with its event count). */
  readonly requestLog: RequestLog;
  /** Multipart heartbeat interval (Apollo's spec: every 5 s). */
  readonly heartbeatMs?: number;
  readonly maxBacklogBytes?: number;
  /** How long a client cut off as too slow has to read up to the SLOW_CONSUMER part. */
  readonly slowConsumerCloseGraceMs?: number;
  /** Revoked sessions (logout): a stream opened with a token of one ends at once. */
  readonly revokedSessions?: Pick<RevokedSessions, 'onAccessRevoked'> | null;
}

type Transport = 'multipart' | 'sse';

function transportOf(request: IncomingMessage): Transport | undefined {
  const accept = String(request.headers.accept ?? '');
  if (/multipart\/mixed/i.test(accept) && /subscriptionSpec/i.test(accept)) return 'multipart';
  if (/text\/event-stream/i.test(accept)) return 'sse';
  return undefined;
}

/** An error as sent: message, where, and its code (never internals such as `http`). */
function formatted(error: GraphQLError): GraphQLFormattedError {
  const { http: _http, ...extensions } = error.extensions;
  return { ...error.toJSON(), extensions };
}

/** Refused before the stream starts: a coded HTTP response, whatever the reason. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  UNAUTHENTICATED: 401,
  TOO_MANY_SUBSCRIPTIONS: 429,
  INTERNAL_SERVER_ERROR: 500,
};

/**
 * A subscription refused before its stream starts. Multipart clients (Apollo Client) get a JSON
 * response with the status HTTP operations would get; graphql-sse clients get the errors as the
 * stream's one event, as graphql-sse's own server sends them, except a bad token: 401, as
 * everywhere.
 */
function refuse(response: ServerResponse, transport: Transport, status: number, errors: readonly GraphQLError[], record: RequestLogRecord): void {
  for (const error of errors) record.refused(typeof error.extensions.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR');
  const body = { errors: errors.map(formatted) };
  if (transport === 'sse' && status !== 401) {
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    response.end(`event: next\ndata: ${JSON.stringify(body)}\n\nevent: complete\ndata:\n\n`);
    return;
  }
  sendJson(response, status, body);
}

function withRemovedFields(result: ExecutionResult, denials: DeniedFields): ExecutionResult {
  if (denials.empty) return result;
  return { ...result, errors: [...denials.errorsIn(result.data), ...(result.errors ?? [])] };
}

/**
 * Subscriptions over plain HTTP on the router's /graphql: Apollo Client's multipart protocol
 * and graphql-sse's distinct-connection mode (see the framings below). Every error on these
 * streams, before or during them, carries `extensions.code`.
 */
export function createHttpSubscriptionHandler(options: HttpSubscriptionOptions) {
  return async (request: IncomingMessage, response: ServerResponse, body: unknown, additions: ResponseAdditions = NOTHING_ADDED): Promise<boolean> => {
    const transport = transportOf(request);
    if (!transport || !isSubscriptionPayload(body)) return false;
    const record = options.requestLog.of(request);
    let session;
    try {
      session = await sessionFromAuthorization(request.headers.authorization, options.verifyToken);
    } catch (error) {
      if (error instanceof GraphQLError && typeof error.extensions.code === 'string') {
        refuse(response, transport, STATUS_OF_CODE[error.extensions.code] ?? 401, [error], record);
      } else {
        record.failed(error);
        refuse(response, transport, 500, [new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })], record);
      }
      return true;
    }
    const viewer = session?.viewer ?? null;
    const { apiSchema, requirements } = options.current();
    const prepared = prepareSubscription(apiSchema, requirements, body, viewer);
    if (prepared.kind === 'not-a-subscription') return false;
    if (prepared.kind === 'rejected') {
      // As for HTTP operations: a malformed request is 400; fields it may not see, 200.
      refuse(response, transport, prepared.reason === 'malformed' ? 400 : 200, prepared.errors, record);
      return true;
    }
    record.operation(prepared.definedName, 'subscription');
    // Bound once the stream is written: the subscriber's queue overflowing cuts the client off at once.
    const slow: { cutOff?: () => void } = {};
    const iterator = options.subscriptions.subscribe(
      {
        document: prepared.document,
        source: prepared.source,
        operationName: prepared.operationName,
        variables: prepared.variables,
        viewer,
        clientAddress: clientAddressOf(request.socket.remoteAddress),
        log: record,
      },
      () => slow.cutOff?.(),
    );
    if (iterator instanceof GraphQLError) {
      refuse(response, transport, STATUS_OF_CODE[String(iterator.extensions.code)] ?? 400, [iterator], record);
      return true;
    }
    const framing = transport === 'multipart' ? multipartFraming(options.heartbeatMs ?? 5_000) : SSE_FRAMING;
    await writeStream(response, framing, iterator, prepared.denials, {
      expiresAt: session?.expiresAt,
      maxBacklogBytes: options.maxBacklogBytes ?? DEFAULT_MAX_BACKLOG_BYTES,
      slowConsumerCloseGraceMs: options.slowConsumerCloseGraceMs ?? DEFAULT_SLOW_CONSUMER_CLOSE_GRACE_MS,
      record,
      transport,
      extensions: additions.extensions,
      onSlow: (cutOff) => (slow.cutOff = cutOff),
      watchSession:
        session && options.revokedSessions ? (end) => options.revokedSessions?.onAccessRevoked(session.sessionId, session.viewer.userId, end) : undefined,
    });
    return true;
  };
}

const INTERNAL_ERROR = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };

const TOKEN_EXPIRED = { message: 'Unauthenticated: the access token has expired', extensions: { code: 'UNAUTHENTICATED' } };

/** The stream's token was revoked (logout): it ends with this. */
const SESSION_ENDED = { message: 'Unauthenticated: the session has ended (signed out or account deleted)', extensions: { code: 'UNAUTHENTICATED' } };

/** How each transport frames a stream. */
interface Framing {
  readonly headers: Readonly<Record<string, string>>;
  readonly opening: string;
  event(result: ExecutionResult): string;
  /** The server ends the stream with this error (token expired, session ended, client too slow, a failure). */
  fatal(error: GraphQLFormattedError): string;
  readonly closing: string;
  readonly keepAlive: string;
  readonly keepAliveMs: number;
}

/**
 * A part and the delimiter after it, in one write, as Apollo Router writes them: Apollo Client's
 * parser hands a part to the app only once it has seen the delimiter that ends it, so a part
 * whose delimiter waited for the next write (the next heartbeat) reached the app up to
 * `heartbeatMs` late. The bytes of the whole stream are the same either way.
 */
const part = (json: unknown) => `\r\ncontent-type: application/json\r\n\r\n${JSON.stringify(json)}\r\n--graphql`;

/**
 * Apollo Client's multipart protocol (`Accept: multipart/mixed;subscriptionSpec=1.0`): each event
 * a `{"payload": …}` part, `{}` heartbeats, `{"payload":null,"errors":[…]}` on a fatal error,
 * closed by `--graphql--` (the opening delimiter, then each part ends with the next one).
 */
const multipartFraming = (heartbeatMs: number): Framing => ({
  headers: { 'content-type': 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0', 'cache-control': 'no-cache' },
  opening: '\r\n--graphql',
  event: (result) => part({ payload: result }),
  fatal: (error) => part({ payload: null, errors: [error] }),
  closing: '--\r\n',
  keepAlive: part({}),
  keepAliveMs: heartbeatMs,
});

/** graphql-sse's distinct-connection mode (`Accept: text/event-stream`): `next` events, then `complete`. */
const SSE_FRAMING: Framing = {
  headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' },
  opening: ':\n\n',
  event: (result) => `event: next\ndata: ${JSON.stringify(result)}\n\n`,
  fatal: (error) => `event: next\ndata: ${JSON.stringify({ errors: [error] })}\n\n`,
  closing: 'event: complete\ndata:\n\n',
  keepAlive: ':\n\n',
  keepAliveMs: 12_000,
};

interface StreamOptions {
  /** When the token that opened the stream expires (the stream ends then). */
  readonly expiresAt?: number;
  readonly maxBacklogBytes: number;
  readonly slowConsumerCloseGraceMs: number;
  /** The stream's log: a line now, its events counted, and a last line when the response closes. */
  readonly record: RequestLogRecord;
  readonly transport: Transport;
  /** What the request stages add to `extensions` (the cost, when asked for): on the first event. */
  readonly extensions: ResponseExtensions;
  /** Receives the function that cuts a slow client off, for the subscriber's queue to call. */
  onSlow(cutOff: () => void): void;
  /** Calls `end` when the stream's session is revoked; returns how to stop watching. */
  readonly watchSession?: (end: () => void) => (() => void) | undefined;
}

/**
 * Writes one subscription's stream. It writes no faster than the client reads (it waits for
 * the socket to drain), so a client that stops reading leaves events in the subscriber's
 * bounded queue; when that overflows, or more than `maxBacklogBytes` are unsent, the client is
 * cut off: a SLOW_CONSUMER error goes last (behind what the client has not read), and if the
 * client has not taken it within `slowConsumerCloseGraceMs` the connection is destroyed.
 * A client closing its connection ends the upstream subscription at once.
 */
async function writeStream(
  response: ServerResponse,
  framing: Framing,
  iterator: AsyncIterableIterator<ExecutionResult>,
  denials: DeniedFields,
  options: StreamOptions,
): Promise<void> {
  response.writeHead(200, framing.headers);
  // Clients wait for the headers; without a flush they would arrive with the first event.
  response.flushHeaders();
  if (framing.opening) response.write(framing.opening);
  options.record.streamStarted(options.transport);
  let finished = false;
  let unwatchSession: (() => void) | undefined;
  const finish = (error?: GraphQLFormattedError, slow = false) => {
    if (finished) return;
    finished = true;
    if (slow) options.record.slowConsumer();
    clearInterval(keepAlive);
    clearTimeout(expiry);
    unwatchSession?.();
    void iterator.return?.();
    if (response.destroyed || response.writableEnded) return;
    if (error) {
      options.record.errors([error]);
      response.write(framing.fatal(error));
    }
    response.end(framing.closing);
    if (slow) {
      const destroy = setTimeout(() => response.destroy(), options.slowConsumerCloseGraceMs);
      destroy.unref();
      response.once('finish', () => clearTimeout(destroy));
    }
  };
  const keepAlive = setInterval(() => response.write(framing.keepAlive), framing.keepAliveMs);
  const expiry = options.expiresAt === undefined ? undefined : setTimeout(() => finish(TOKEN_EXPIRED), Math.max(0, options.expiresAt - Date.now()));
  options.onSlow(() => finish(slowSubscriberError(SUBSCRIBER_BUFFER).toJSON(), true));
  unwatchSession = options.watchSession?.(() => finish(SESSION_ENDED));
  response.once('close', () => finish());
  let firstEvent = true;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done || finished) break;
      const shaped = withRemovedFields(next.value, denials);
      const result = firstEvent ? { ...shaped, extensions: withResponseExtensions(shaped.extensions, options.extensions) } : shaped;
      firstEvent = false;
      options.record.event(result.errors);
      const flushed = response.write(framing.event(result));
      // A response hands its bytes to the socket at once; the backlog piles up in the socket.
      if (tooFarBehind(response.writableLength + (response.socket?.writableLength ?? 0), options.maxBacklogBytes)) {
        finish(SLOW_CONSUMER_ERROR, true);
        break;
      }
      if (!flushed) await drained(response);
    }
  } catch (error) {
    options.record.failed(error);
    finish(INTERNAL_ERROR);
  } finally {
    finish();
  }
}

/** Resolves once the response can take more, or is gone. */
function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const events = ['drain', 'finish', 'close'] as const;
    const done = () => {
      events.forEach((event) => response.off(event, done));
      resolve();
    };
    events.forEach((event) => response.once(event, done));
  });
}
