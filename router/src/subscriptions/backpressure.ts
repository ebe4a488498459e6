/**
 * The bounded per-subscription queue drops old events when the *router* is slow to send; a
 * client that stops reading its socket instead makes the socket's send buffer grow. Past this
 * many unsent bytes the client is cut off (it reconnects and reads current state), so one slow
 * reader never grows router memory without bound.
 */
export const DEFAULT_MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

/** WebSocket close code for a client too far behind: 1013 "Try Again Later". */
export const SLOW_CONSUMER_CLOSE_CODE = 1013;

export function tooFarBehind(unsentBytes: number, limitBytes: number): boolean {
  return unsentBytes > limitBytes;
}

export const SLOW_CONSUMER_ERROR = {
  message: 'The client fell too far behind this stream and was cut off; subscribe again',
  extensions: { code: 'SLOW_CONSUMER' },
};
