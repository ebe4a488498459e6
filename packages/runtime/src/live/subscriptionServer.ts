import type { Server } from 'node:http';
import { GraphQLError, parse, subscribe, validate, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { FormattedExecutionResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { unsignedViewer, type RouterCallVerifier } from '../auth/routerSignature';
import type { Viewer } from '../auth/viewer';
import { unstorableTextError, unstorableTextIn } from '../graphql/storableText';
import type { Logger } from '../logger';
import { context } from '../observability/spans';
import { SubscriptionServerSpan } from '../observability/subscriptionTrace';

export interface SubscriptionServerOptions<Context> {
  readonly server: Server;
  readonly schema: GraphQLSchema;
  /** This instance's check of router signatures (null: no ROUTER_SIGNING_SECRET). */
  readonly signatures: RouterCallVerifier | null;
  readonly allowUnsigned: boolean;
  readonly logger: Logger;
  /**
   * A fresh context per subscription operation; `resumed` when the router subscribes again after
   * losing its socket (the payload's `extensions.resume`), see LiveUpdates.resuming.
   */
  readonly context: (viewer: Viewer | null, resumed: boolean) => Context;
  /** How long a socket may stay open without connection_init. */
  readonly connectionInitWaitTimeoutMs?: number;
  /** The same error mapping as HTTP responses (extensions.code, masking). */
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

/** Identity headers as the router puts them in connection_init's payload. */
function headerLookup(params: Readonly<Record<string, unknown>> | undefined) {
  return (name: string) => {
    const value = params?.[name];
    return typeof value === 'string' ? value : undefined;
  };
}

/** The router marks a subscribe that resumes one cut off by a lost socket (ROUTER_RESUME_EXTENSION). */
function isResume(extensions: Readonly<Record<string, unknown>> | null | undefined): boolean {
  return extensions?.resume === true;
}

/** The code a failed stream's span records: the error's own (a DomainError's), else the generic one. */
function codeOf(error: GraphQLError): string {
  const own = error.extensions.code ?? (error.originalError as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
  return typeof own === 'string' ? own : 'INTERNAL_SERVER_ERROR';
}

/**
 * A stream whose source ends with an error (a SlowConsumer, or any failure) ends with one last
 * result carrying that error, then completes. graphql-ws would otherwise take the thrown error
 * as the socket failing and close it (4500) — and that socket is the router's pooled upstream,
 * shared by other subscriptions of the same identity. The error is formatted like any other
 * (a DomainError keeps its code; anything else is masked and logged). Hand-written rather than
 * an async generator: a generator's return() would wait for the pending next() (the next
 * event), and a client leaving must release the source at once.
 */
function endingWithErrorResult(results: AsyncGenerator<ExecutionResult>, span: SubscriptionServerSpan | undefined): AsyncGenerator<ExecutionResult> {
  let failed = false;
  const done = (): IteratorResult<ExecutionResult> => ({ value: undefined, done: true });
  const stream: AsyncGenerator<ExecutionResult> = {
    next: async () => {
      if (failed) return done();
      try {
        const result = await results.next();
        if (result.done) span?.end();
        return result;
      } catch (error) {
        failed = true;
        const cause = error instanceof Error ? error : new Error(String(error));
        const graphQLError = error instanceof GraphQLError ? error : new GraphQLError(cause.message, { originalError: cause });
        span?.end(codeOf(graphQLError));
        return { value: { errors: [graphQLError] }, done: false };
      }
    },
    return: (value) => {
      span?.end();
      return results.return(value);
    },
    throw: (error) => {
      span?.end();
      return results.throw(error);
    },
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}

/**
 * graphql-ws on the subgraph's own /graphql. Only the router subscribes: connection_init
 * must carry its signature over the viewer (close 4403 otherwise), and that viewer is the
 * context of every operation on the socket.
 */
export function attachSubscriptionServer<Context>(options: SubscriptionServerOptions<Context>): { close(): Promise<void> } {
  const sockets = new WebSocketServer({ server: options.server, path: '/graphql' });
  const viewers = new WeakMap<object, Viewer | null>();
  // Each operation's server span, from onSubscribe (which sees the message's extensions) to
  // subscribe (which sees only the arguments onSubscribe returned: the same object).
  const spans = new WeakMap<ExecutionArgs, SubscriptionServerSpan>();
  const disposable = useServer<Record<string, unknown>>(
    {
      schema: options.schema,
      connectionInitWaitTimeout: options.connectionInitWaitTimeoutMs ?? 3_000,
      onConnect: (ctx) => {
        const lookup = headerLookup(ctx.connectionParams);
        if (options.signatures) {
          const check = options.signatures.connectionInit(lookup);
          if (check.ok) {
            viewers.set(ctx, check.viewer);
            return true;
          }
          if (!options.allowUnsigned) {
            options.logger.warn({ reason: check.reason }, 'refused a subscription connection without the router signature');
            return false;
          }
        }
        viewers.set(ctx, unsignedViewer(lookup));
        return true;
      },
      context: (ctx, _id, payload) => options.context(viewers.get(ctx) ?? null, isResume(payload.extensions)) as Record<string, unknown>,
      onSubscribe: (_ctx, _id, payload) => {
        const document = parse(payload.query);
        const errors = validate(options.schema, document);
        if (errors.length > 0) return errors;
        const unstorable = unstorableTextIn(document, payload.variables);
        if (unstorable) return [unstorableTextError(unstorable)];
        const args = { schema: options.schema, document, variableValues: payload.variables, operationName: payload.operationName } as ExecutionArgs;
        const span = SubscriptionServerSpan.open(payload.operationName, payload.extensions);
        if (span) spans.set(args, span);
        return args;
      },
      subscribe: async (args) => {
        const span = spans.get(args);
        const result = span ? await context.with(span.context, () => subscribe(args)) : await subscribe(args);
        if (Symbol.asyncIterator in result) return endingWithErrorResult(result, span);
        // Refused at subscribe (the resolver threw: not found, not allowed): the stream never started.
        span?.end(result.errors?.[0] ? codeOf(result.errors[0]) : undefined);
        return result;
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors) return undefined;
        // An error that ended the stream (endingWithErrorResult) has no path, so the mapping would
        // not look through to its cause; give it the cause (a DomainError keeps its code).
        const errors = (result.errors as readonly GraphQLError[]).map((error) =>
          options.formatError(error.toJSON(), error.path === undefined && error.originalError ? error.originalError : error),
        );
        const formatted: FormattedExecutionResult = { data: result.data, errors };
        return formatted;
      },
    },
    sockets,
  );
  return {
    async close() {
      // 1012 "service restart": clients (the router) reconnect, to another instance or to this
      // one restarted, and resubscribe (see the router's SUBSCRIPTION_RESUBSCRIBE_GRACE_MS).
      for (const client of sockets.clients) client.close(1012, 'subgraph restarting: reconnect');
      await disposable.dispose();
    },
  };
}

