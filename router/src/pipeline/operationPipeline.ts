import type { Context, HttpRefusal, Logger, Viewer } from '@booking/runtime/dist/router';
import type { CachePolicy } from '../execution/cacheControlHints';
import { callerKey } from './callerIdentity';
import { costExtension, type ResponseExtensions } from './costExposure';
import { OperationGate, tooExpensive } from './operationGate';
import type { OperationText } from './operationText';
import type { PersistedQueries } from './persistedQueries';
import type { RateBudget, RateLimits } from './rateLimit';

/** A GraphQL request as any transport received it (POST body, GET parameters, graphql-ws payload). */
export interface OperationRequest {
  readonly query?: string | null;
  readonly operationName?: string | null;
  readonly variables?: Record<string, unknown> | null;
  readonly extensions?: Record<string, unknown> | null;
}

/** How it came: GET may only read; a WebSocket only subscribes (its transport checks that). */
export type RequestMethod = 'GET' | 'POST' | 'WS';

export interface Caller {
  /** The verified viewer, or null: anonymous, or a token the executor will refuse (401). */
  readonly viewer: Viewer | null;
  /** The client address (TRUSTED_PROXY_HOPS applied). */
  readonly address: string;
  /** The request's trace context (see RequestLogRecord): the gate's parse and validate spans are its children. */
  readonly trace?: Context;
}

export type Admission =
  | { readonly kind: 'refused'; readonly refusal: HttpRefusal }
  | {
      readonly kind: 'admitted';
      /** The request with the text to run (a persisted query resolved, its extension removed). */
      readonly request: OperationRequest & { readonly query: string };
      /** Response headers the stages add (RateLimit-*). */
      readonly headers: Readonly<Record<string, string>>;
      /** The estimated cost, when the gate could estimate one. */
      readonly cost: number | undefined;
      /** What the response's `extensions` get from these stages (the cost, when asked for). */
      readonly extensions: ResponseExtensions;
      /** The text's cache key (and its document when the gate parsed it), for the executor. */
      readonly text: OperationText;
      /** The operation's `@cacheControl` policy; undefined when the gate could not judge it. */
      readonly cachePolicy: CachePolicy | undefined;
    };

/** What the client asked the stages to tell it in the response. */
export interface Disclosure {
  /** `graphql-expose-cost: true`: `extensions.cost` on the response. */
  readonly cost: boolean;
}

const NOTHING_ASKED: Disclosure = { cost: false };
const NO_EXTENSIONS: ResponseExtensions = {};

export interface OperationPipelineOptions {
  readonly gate: () => OperationGate;
  readonly persistedQueries: PersistedQueries;
  readonly rateLimits: RateLimits | null;
  readonly maxCost: number;
  readonly logger: Logger;
}

/** Worded, coded and statused as Apollo Server 5 refuses it (its request pipeline, after validation). */
const GET_MUTATION: HttpRefusal = {
  status: 405,
  code: 'BAD_REQUEST',
  message: 'GET requests only support query operations, not mutation operations',
  headers: { allow: 'POST' },
};

function withoutExtensions(request: OperationRequest): OperationRequest {
  const { extensions: _replaced, ...rest } = request;
  return rest;
}

function withoutPersistedQuery(extensions: OperationRequest['extensions']): Record<string, unknown> | undefined {
  if (!extensions || !('persistedQuery' in extensions)) return extensions ?? undefined;
  const { persistedQuery: _resolved, ...rest } = extensions;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/**
 * The operation stages every transport runs before anything executes: persisted-query
 * resolution → the gate (limits, validation, cost; cached per text) → the safelist → the
 * per-request cost → the rate limit. A refusal here never reaches an executor or a subgraph.
 * What the gate cannot judge (a syntax or validation error) goes on, so the executor words the
 * error as clients expect; it runs nothing.
 */
export class OperationPipeline {
  private readonly reportedUnlisted = new Set<string>();

  constructor(private readonly options: OperationPipelineOptions) {}

  async admit(request: OperationRequest, method: RequestMethod, caller: Caller, asked: Disclosure = NOTHING_ASKED): Promise<Admission> {
    const resolved = await this.options.persistedQueries.resolve(request);
    if (resolved.kind === 'refused') return resolved;
    const operationName = request.operationName ?? undefined;
    const gate = this.options.gate();
    const { verdict, text } = gate.judgeText(resolved.query, operationName, caller.trace);
    if (verdict.kind === 'refused') return verdict;
    const listed = resolved.listed === true || (resolved.listed === 'unchecked' && verdict.listed);
    if (!listed) {
      const refusal = this.unlisted(operationName);
      if (refusal) return { kind: 'refused', refusal };
    }
    const extensions = withoutPersistedQuery(request.extensions);
    // Absent, not undefined: Apollo Server refuses `extensions: undefined` in a body.
    const admitted = extensions === request.extensions ? { ...request, query: resolved.query } : { ...withoutExtensions(request), query: resolved.query, ...(extensions ? { extensions } : {}) };
    // Not estimated (a syntax or validation error): there is no cost to tell.
    if (verdict.kind === 'unjudged') return { kind: 'admitted', request: admitted, headers: {}, cost: undefined, extensions: NO_EXTENSIONS, text, cachePolicy: undefined };
    if (method === 'GET' && verdict.operationType === 'mutation') return { kind: 'refused', refusal: GET_MUTATION };
    const cost = OperationGate.costOf(verdict, request.variables ?? {});
    if (cost > this.options.maxCost) return tooExpensive(cost, this.options.maxCost);
    if (resolved.registerAs) await this.options.persistedQueries.register(resolved.registerAs, resolved.query);
    if (!this.options.rateLimits) return { kind: 'admitted', request: admitted, headers: {}, cost, extensions: this.disclosed(asked, cost, undefined), text, cachePolicy: verdict.cachePolicy };
    const budget: RateBudget = verdict.operationType;
    const decision = await this.options.rateLimits.consume(budget, callerKey(caller.viewer, caller.address), cost);
    if (!decision.allowed) return { kind: 'refused', refusal: { ...decision.refusal, headers: decision.headers } };
    return { kind: 'admitted', request: admitted, headers: decision.headers, cost, extensions: this.disclosed(asked, cost, decision.charged), text, cachePolicy: verdict.cachePolicy };
  }

  /** Built only when asked for: a request without the header pays nothing for it. */
  private disclosed(asked: Disclosure, cost: number, charged: number | undefined): ResponseExtensions {
    return asked.cost ? { cost: costExtension(cost, this.options.maxCost, charged) } : NO_EXTENSIONS;
  }

  /** safelist: refused; safelist-log: allowed, and logged once per operation name. */
  private unlisted(operationName: string | undefined): HttpRefusal | undefined {
    if (this.options.persistedQueries.mode === 'safelist') {
      return { status: 400, code: 'PERSISTED_QUERY_NOT_IN_LIST', message: 'This operation is not in the persisted query list.' };
    }
    const name = operationName ?? '(anonymous)';
    if (!this.reportedUnlisted.has(name) && this.reportedUnlisted.size < 10_000) {
      this.reportedUnlisted.add(name);
      this.options.logger.warn({ operationName: name }, 'operation not in the persisted query list (PERSISTED_QUERIES=safelist-log lets it run)');
    }
    return undefined;
  }
}
