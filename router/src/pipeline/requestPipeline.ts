import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRefusal } from '@booking/runtime/dist/router';

/**
 * One named stage of the router's request pipeline: it sees a /graphql request (its method
 * and headers; the body is not read yet), may set response headers, and either lets it
 * through or refuses it. Every
 * transport that executes operations over HTTP (our executor, the gateway, multipart and SSE
 * subscriptions) passes through the same stages, before any of them runs.
 */
export type RequestStage = (request: IncomingMessage, response: ServerResponse) => StageOutcome;

/** Let through (undefined), refused (answered by the server), or answered by the stage itself ('answered'). */
export type StageOutcome = HttpRefusal | 'answered' | undefined;

/** The stages in order; the first refusal wins. */
export function requestPipeline(stages: readonly RequestStage[]): RequestStage {
  return (request, response) => {
    for (const stage of stages) {
      const outcome = stage(request, response);
      if (outcome) return outcome;
    }
    return undefined;
  };
}
