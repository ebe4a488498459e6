import { concurrencyCap } from '@booking/runtime/dist/router';
import type { RequestLog } from './requestLog';
import type { RequestStage } from './requestPipeline';

/**
 * Load shedding, a stage of the request pipeline (after CORS, so a browser can read the
 * refusal): at most `maxConcurrent` /graphql requests in flight in this router, past that HTTP
 * 503 `SERVICE_OVERLOADED` with `Retry-After` (the runtime's concurrencyCap, which the
 * subgraphs use too). A multipart or SSE subscription gives its slot back when its stream
 * starts: it may stay open for hours and has quotas of its own (MAX_SUBSCRIPTIONS…).
 */
export function loadShedding(maxConcurrent: number, requestLog: RequestLog): RequestStage {
  return concurrencyCap(maxConcurrent, 'router', (request, release) => requestLog.of(request).onStreaming(release));
}
