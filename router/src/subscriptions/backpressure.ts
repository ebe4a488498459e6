import { GraphQLError } from 'graphql';

/** Most enriched events one subscriber may have waiting to be sent; past it, it is too slow. */
export const SUBSCRIBER_BUFFER = 64;

/**
 * A client that stops reading makes events wait, first in the socket's buffers, then in the
 * subscriber's queue. Over HTTP a response hands every event to the socket at once, so the
 * backlog grows in the socket: past this many unsent bytes the client is cut off (it
 * reconnects and reads current state), so one slow reader never grows router memory without
 * bound. Over WebSocket graphql-ws waits for each send, so the queue fills instead.
 */
export const DEFAULT_MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

/** WebSocket close code for a client too far behind: 1013 "Try Again Later" (graphql-ws clients retry it). */
export const SLOW_CONSUMER_CLOSE_CODE = 1013;

/**
 * How long a slow client gets, by default, to read up to the close frame or SLOW_CONSUMER part,
 * which queues behind everything already sent; after that the connection is destroyed and the
 * client sees a dropped connection (1006 on WebSocket). SLOW_CONSUMER_CLOSE_GRACE_MS sets it.
 */
export const DEFAULT_SLOW_CONSUMER_CLOSE_GRACE_MS = 5_000;

/** graphql-ws's keep-alive by default: a ping every 12 s, and a socket that has not answered by the next one is dropped. */
export const DEFAULT_SUBSCRIPTION_KEEPALIVE_MS = 12_000;

export function tooFarBehind(unsentBytes: number, limitBytes: number): boolean {
  return unsentBytes > limitBytes;
}

export const SLOW_CONSUMER_ERROR = {
  message: 'The client fell too far behind this stream and was cut off; subscribe again',
  extensions: { code: 'SLOW_CONSUMER' },
};

/** The last event of a stream whose client let `buffer` events pile up unsent. */
export function slowSubscriberError(buffer: number): GraphQLError {
  return new GraphQLError(
    `The client fell more than ${buffer} events behind this stream, which was ended rather than drop events; subscribe again`,
    { extensions: { code: 'SLOW_CONSUMER' } },
  );
}
