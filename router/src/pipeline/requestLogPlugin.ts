import type { ApolloServerPlugin } from '@apollo/server';
import type { RouterContext } from '../routerContext';

/**
 * The request log's view into Apollo Server (ROUTER_EXECUTOR=gateway, and what the router's own
 * executor leaves to @apollo/gateway): the resolved operation's name and type, and the codes of
 * the errors as they go out (already formatted, so nothing is serialised for the log).
 */
export function requestLogPlugin(): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart({ contextValue }) {
      const record = contextValue.requestLog;
      if (!record) return undefined;
      return {
        async didResolveOperation({ operationName, operation }) {
          if (operation) record.operation(operationName, operation.operation);
        },
        async willSendResponse({ response }) {
          const body = response.body;
          record.errors(body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors);
        },
      };
    },
  };
}
