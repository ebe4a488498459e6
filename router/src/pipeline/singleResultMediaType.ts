import type { IncomingMessage } from 'node:http';
import Negotiator from 'negotiator';

/** Apollo Server 5's MEDIA_TYPES.APPLICATION_JSON: the type of an answer whose client named none it takes. */
export const APPLICATION_JSON = 'application/json; charset=utf-8';

/**
 * What Apollo Server 5 offers a single (not incremental) result, in its order: its
 * MEDIA_TYPES.APPLICATION_JSON, APPLICATION_GRAPHQL_RESPONSE_JSON and
 * APPLICATION_JSON_GRAPHQL_CALLBACK, as `chooseContentTypeForSingleResultResponse` lists them.
 */
const SINGLE_RESULT_TYPES = ['application/json; charset=utf-8', 'application/graphql-response+json; charset=utf-8', 'application/json; callbackSpec=1.0; charset=utf-8'];

/**
 * The content type Apollo Server 5 gives a single result for this request
 * (`chooseContentTypeForSingleResultResponse`, with the same negotiator library over the same
 * offers): JSON without an Accept header, the Accept header's preferred offer otherwise, and
 * undefined when it accepts none of them (Apollo Server then answers 406).
 */
export function singleResultMediaType(request: IncomingMessage): string | undefined {
  const accept = request.headers.accept;
  if (!accept) return APPLICATION_JSON;
  if (chosen.has(accept)) return chosen.get(accept);
  const type = new Negotiator({ headers: { accept } }).mediaType(SINGLE_RESULT_TYPES);
  // Clients send a handful of distinct Accept headers: each is negotiated once. A flood of
  // distinct ones only empties the memo now and then; a long one is not kept.
  if (accept.length > MEMO_KEY_LENGTH) return type;
  if (chosen.size >= MEMO_SIZE) chosen.clear();
  chosen.set(accept, type);
  return type;
}

/** How many distinct Accept headers' answers are kept, and the longest header kept. */
const MEMO_SIZE = 256;
const MEMO_KEY_LENGTH = 512;
const chosen = new Map<string, string | undefined>();
