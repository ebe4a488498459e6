import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { RequestWork } from './requestWork';

/** Once a request is stopped, every field it still reaches fails the same way: one error says it. */
const STOP_CODES = new Set(['SUBGRAPH_WORK_LIMIT', 'REQUEST_ABORTED']);

function collapseStops(errors: readonly GraphQLFormattedError[]): GraphQLFormattedError[] {
  const kept: GraphQLFormattedError[] = [];
  const counted = new Map<string, { error: GraphQLFormattedError; fields: number }>();
  for (const error of errors) {
    const code = error.extensions?.code;
    if (typeof code !== 'string' || !STOP_CODES.has(code)) {
      kept.push(error);
      continue;
    }
    const seen = counted.get(code);
    if (seen) seen.fields += 1;
    else counted.set(code, { error, fields: 1 });
  }
  for (const { error, fields } of counted.values()) {
    // The first stopped field keeps its path; `stoppedFields` says how many more were nulled.
    kept.push({ ...error, extensions: { ...error.extensions, stoppedFields: fields } });
  }
  return kept;
}

/** Adds what resolvers reported beside their data, and folds repeated stop errors into one. */
export function requestWorkPlugin<Context extends BaseContext & { readonly work: RequestWork }>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const reported = contextValue.work.reported;
          if (!result.errors && reported.length === 0) return;
          const errors = collapseStops([...(result.errors ?? []), ...reported]);
          result.errors = errors.length > 0 ? errors : undefined;
        },
      };
    },
  };
}
