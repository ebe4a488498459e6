/**
 * What clients may learn from a subgraph's errors (SUBGRAPH_ERRORS, README "Production
 * posture"). Every executor hands a subgraph's errors here once, where they arrive: the
 * router's plan executor per fetch, the gateway's data source per call (ROUTER_EXECUTOR=gateway,
 * the fallback path and subscriptions' entity fetches), and a subscription's upstream events.
 * An answer without errors costs nothing: the same array comes back untouched.
 */

/** `mask`: only client-facing codes keep their message; `pass`: everything but stack traces goes through. */
export type SubgraphErrorsMode = 'mask' | 'pass';

/**
 * The codes our subgraphs raise for clients (README "Errors clients can rely on"): a rule the
 * caller broke, an object that is not theirs, a domain refusal. A client must be able to act on
 * them, so their message and extensions pass. Kept here, in one list, because the subgraphs'
 * codes are spread over their services (DomainError subclasses) and the runtime's formatError;
 * `router/test/subgraphErrorPolicy.test.ts` fails when a subgraph's domain code is missing here
 * or a code here is not documented.
 *
 * Deliberately absent, so masked: INTERNAL_SERVER_ERROR and anything uncoded or unknown (a bug,
 * a raw database message); GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED / BAD_REQUEST /
 * OPERATION_RESOLUTION_FAILURE from a subgraph (the router already validated the client's
 * operation, so these mean the router and the subgraph disagree on the schema, and their
 * messages describe the subgraph's internals); REQUEST_ABORTED (the router itself left).
 */
export const CLIENT_FACING_SUBGRAPH_CODES: ReadonlySet<string> = new Set([
  // Any subgraph, from the shared runtime (packages/runtime/src/errors).
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'IDEMPOTENCY_KEY_REUSED',
  'SUBGRAPH_WORK_LIMIT',
  'LIST_TRUNCATED',
  'STATEMENT_TIMEOUT',
  'SLOW_CONSUMER',
  // One subgraph's domain.
  'EMAIL_TAKEN',
  'LISTING_UNAVAILABLE',
  'BOOKING_CONFLICT',
  'ILLEGAL_TRANSITION',
  'INVOICE_EXISTS',
  'INVOICE_NOT_PAYABLE',
  'PAYMENT_DECLINED',
  'PAYMENT_PROVIDER_UNAVAILABLE',
]);

/** Extensions that are never a client's business: a subgraph in debug mode names its files in them. */
const DEBUG_EXTENSIONS = ['stacktrace', 'exception'] as const;

/** An error as a subgraph sent it (a GraphQL response's `errors` entry). */
export interface SubgraphErrorValue {
  readonly message?: string;
  readonly path?: readonly (string | number)[];
  readonly locations?: readonly { readonly line: number; readonly column: number }[];
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** Where a masked error's original goes: the request's log, so on-call finds it by request id. */
export interface MaskedSubgraphErrorLog {
  subgraphErrorMasked(serviceName: string, original: { readonly message: unknown; readonly code: unknown; readonly path: unknown }): void;
}

export const MASKED_MESSAGE = 'Internal server error';

/** What a masked error becomes: the path stays, so the null it explains is still explained. */
export interface MaskedSubgraphError {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions: Readonly<Record<string, unknown>>;
}

export interface SubgraphErrorPolicy {
  readonly mode: SubgraphErrorsMode;
  /**
   * The errors as clients may see them, in order, one for one (paths kept, so no data is
   * dropped or left unexplained). The same array when nothing needs to change.
   */
  apply<E extends SubgraphErrorValue>(serviceName: string, errors: readonly E[], log?: MaskedSubgraphErrorLog): readonly (E | MaskedSubgraphError)[];
}

function hasDebugExtensions(error: SubgraphErrorValue): boolean {
  const extensions = error.extensions;
  return extensions !== undefined && extensions !== null && DEBUG_EXTENSIONS.some((name) => name in extensions);
}

function withoutDebugExtensions<E extends SubgraphErrorValue>(error: E): E {
  if (!hasDebugExtensions(error)) return error;
  const { stacktrace: _stacktrace, exception: _exception, ...extensions } = error.extensions ?? {};
  return { ...error, extensions };
}

function isClientFacing(error: SubgraphErrorValue): boolean {
  const code = error.extensions?.code;
  return typeof code === 'string' && CLIENT_FACING_SUBGRAPH_CODES.has(code);
}

export function subgraphErrorPolicy(mode: SubgraphErrorsMode): SubgraphErrorPolicy {
  if (mode === 'pass') {
    return {
      mode,
      apply: (_serviceName, errors) => (errors.some(hasDebugExtensions) ? errors.map(withoutDebugExtensions) : errors),
    };
  }
  return {
    mode,
    apply(serviceName, errors, log) {
      if (errors.every((error) => isClientFacing(error) && !hasDebugExtensions(error))) return errors;
      return errors.map((error) => {
        if (isClientFacing(error)) return withoutDebugExtensions(error);
        log?.subgraphErrorMasked(serviceName, { message: error.message, code: error.extensions?.code, path: error.path });
        const masked: MaskedSubgraphError = {
          message: MASKED_MESSAGE,
          ...(error.path ? { path: error.path } : {}),
          extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName },
        };
        return masked;
      });
    },
  };
}

/** SUBGRAPH_ERRORS' default: masked in the production profile, passed on elsewhere (local debugging). */
export function defaultSubgraphErrorsMode(profile: 'production' | 'development'): SubgraphErrorsMode {
  return profile === 'production' ? 'mask' : 'pass';
}
