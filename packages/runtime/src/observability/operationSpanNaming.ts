import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { trace } from '@opentelemetry/api';

/**
 * Names a subgraph's request SERVER span (the HTTP instrumentation's, active while Apollo
 * Server runs the request) after its GraphQL operation, per the GraphQL semantic conventions:
 * `graphql.operation.type` and `graphql.operation.name` attributes, and the span renamed
 * `{type} {name}` (the type alone when anonymous), as the router names its own. A trace then
 * says which operation each subgraph ran (the router's planner names them
 * `{client operation}__{subgraph}__{n}`), not only `POST /graphql`. Nothing happens when the
 * request is not traced.
 */
export function operationSpanNaming<Context extends BaseContext>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      const span = trace.getActiveSpan();
      if (!span?.isRecording()) return;
      return {
        async didResolveOperation({ operationName, operation }) {
          if (!operation) return;
          const type = operation.operation;
          span.setAttribute('graphql.operation.type', type);
          if (operationName) span.setAttribute('graphql.operation.name', operationName);
          span.updateName(operationName ? `${type} ${operationName}` : type);
        },
      };
    },
  };
}
