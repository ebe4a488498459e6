import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RouterContext } from '../routerContext';
import { withResponseExtensions, type ResponseExtensions } from './costExposure';

/**
 * What the request stages add to `extensions` of a request they leave to Apollo Server (the
 * @apollo/gateway path, GET included): kept beside the request until its context is built.
 * Only requests that asked for something are kept; the entry goes with the request object.
 */
export class PendingResponseExtensions {
  private readonly pending = new WeakMap<IncomingMessage, ResponseExtensions>();

  set(request: IncomingMessage, extensions: ResponseExtensions): void {
    if (Object.keys(extensions).length > 0) this.pending.set(request, extensions);
  }

  of(request: IncomingMessage): ResponseExtensions | undefined {
    return this.pending.get(request);
  }
}

/** Adds the stages' extensions to Apollo Server's response (the first payload of an incremental one). */
export function responseExtensionsPlugin(): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart({ contextValue }) {
      const added = contextValue.responseExtensions;
      if (!added) return undefined;
      return {
        async willSendResponse({ response }) {
          const body = response.body;
          const result = body.kind === 'single' ? body.singleResult : body.initialResult;
          result.extensions = withResponseExtensions(result.extensions, added);
        },
      };
    },
  };
}
