import type { IncomingMessage } from 'node:http';
import { parseMediaType, type HttpRefusal } from '@booking/runtime/dist/router';
import type { RequestStage } from './requestPipeline';
import { asksForPage } from './pageRequest';

/**
 * The content types a browser sends cross-site without a CORS preflight
 * (https://fetch.spec.whatwg.org/#cors-safelisted-request-header).
 */
const NON_PREFLIGHTED_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/** Apollo Server's recommended set: Apollo iOS and Kotlin send the first, other clients can add the second. */
export const CSRF_PREVENTION_REQUEST_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight'];

const REFUSAL: HttpRefusal = {
  status: 400,
  code: 'BAD_REQUEST',
  message:
    'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). ' +
    `Please either specify a 'content-type' header (with a type that is not one of ${NON_PREFLIGHTED_CONTENT_TYPES.join(', ')}) ` +
    `or provide a non-empty value for one of the following headers: ${CSRF_PREVENTION_REQUEST_HEADERS.join(', ')}\n`,
};


function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * CSRF prevention as Apollo Server defines it (its `csrfPrevention`, here before any executor
 * rather than inside Apollo Server only): a request runs only if a browser would have
 * preflighted it, so a page on another origin cannot make a signed-in browser run a mutation
 * (or time a query) unless the CORS policy allows that origin. Preflighted means: a
 * content type that is not one of the three CORS-safelisted ones (an unparsable one counts, a
 * browser preflights it too), or a non-empty `x-apollo-operation-name` or
 * `apollo-require-preflight` header. GET requests (no content type) need the header.
 */
export function csrfPrevention(requestHeaders: readonly string[] = CSRF_PREVENTION_REQUEST_HEADERS): RequestStage {
  return (request) => {
    // A browser opening /graphql (GET asking for HTML) reaches this stage only with
    // LANDING_PAGE=sandbox (the landingPage stage answers it otherwise): Apollo Server renders
    // Sandbox, which runs nothing; any GET that Apollo Server would execute meets its own CSRF check too.
    if (asksForPage(request)) return undefined;
    const contentType = header(request, 'content-type');
    if (contentType !== undefined) {
      const mediaType = parseMediaType(contentType);
      if (!mediaType || !NON_PREFLIGHTED_CONTENT_TYPES.includes(mediaType.essence)) return undefined;
    }
    if (requestHeaders.some((name) => (header(request, name) ?? '').length > 0)) return undefined;
    return REFUSAL;
  };
}
