import { inSpanSync, ROOT_CONTEXT, type Context, type HttpRefusal } from '@booking/runtime/dist/router';
import { getOperationAST, Kind, parse, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema, type OperationTypeNode } from 'graphql';
import { operationCachePolicy, UNCACHEABLE, type CacheControlHints, type CachePolicy } from '../execution/cacheControlHints';
import { ByteBoundedCache } from '../byteBoundedCache';
import type { CostDirectives } from './costDirectives';
import { costExtension } from './costExposure';
import { exceededLexicalLimit, type LexicalLimits } from './lexicalLimits';
import { OperationCostEstimator, type CostSettings } from './operationCost';
import { exceededLimits, measureOperation, type OperationLimits } from './operationLimits';
import { operationTextKey, type OperationText } from './operationText';
import type { TrustedDocuments } from './trustedDocuments';
import type { CacheLookups } from '../observability/routerMetrics';
import { validateDocument } from './documentValidation';

export interface GateSettings {
  readonly lexical: LexicalLimits;
  readonly operation: OperationLimits;
  readonly cost: CostSettings & {
    /** MAX_OPERATION_COST: an estimate above it is refused; Infinity switches demand control off. */
    readonly maxCost: number;
  };
}

/** What the gate knows of one operation text (and operation name), decided once and cached. */
export type GateVerdict =
  | { readonly kind: 'refused'; readonly refusal: HttpRefusal }
  /**
   * Not a document the gate can judge (a syntax or validation error, an unknown operation
   * name): the executor words the error as clients expect; nothing of it can run.
   */
  | { readonly kind: 'unjudged'; readonly listed: boolean }
  | {
      readonly kind: 'admitted';
      readonly operationType: OperationTypeNode;
      /** Whether the text is in the trusted documents (true when no safelist is used). */
      readonly listed: boolean;
      /** The cost estimate: a number when variables cannot change it, else per request. */
      readonly cost: number | OperationCostEstimator;
      /** What `@cacheControl` allows for the result of this operation (README "Caching"). */
      readonly cachePolicy: CachePolicy;
    };

export interface GateSchema {
  readonly apiSchema: GraphQLSchema;
  readonly costs: CostDirectives;
  /** `@cacheControl` hints; none: no response is cacheable. */
  readonly cacheHints?: CacheControlHints;
}

/**
 * The operation stage of the request pipeline, before any executor: lexical limits on the
 * text (before it is parsed), operation limits on the document (before it is validated: a
 * fragment bomb must not reach graphql-js' validation), validation, then the cost estimate.
 * Its verdict is cached per text, so a repeated operation costs one digest and one lookup; a
 * refused one is refused from the cache without parsing again. The document of an admitted
 * text seen for the first time goes on to the executor with the request (parsed once).
 */
export class OperationGate {
  private readonly verdicts: ByteBoundedCache<GateVerdict>;

  constructor(
    readonly schema: GateSchema,
    private readonly settings: GateSettings,
    private readonly trusted: TrustedDocuments | null,
    maxBytes: number,
    /** Counts lookups that found the verdict cached (gate_verdict). */
    private readonly lookups?: CacheLookups,
  ) {
    this.verdicts = new ByteBoundedCache(maxBytes, 'gate_verdict');
  }

  judge(query: string, operationName: string | undefined): GateVerdict {
    return this.judgeText(query, operationName).verdict;
  }

  /**
   * The verdict, and the text as the later stages may reuse it: its cache key, and on the
   * first sight of an admitted text the document the gate parsed and validated.
   */
  judgeText(query: string, operationName: string | undefined, trace: Context = ROOT_CONTEXT): { readonly verdict: GateVerdict; readonly text: OperationText } {
    const key = operationTextKey(query, operationName);
    const known = this.verdicts.get(key);
    if (known) {
      this.lookups?.hit();
      return { verdict: known, text: { key } };
    }
    this.lookups?.miss();
    const { verdict, document } = this.decide(query, operationName, trace);
    // An admitted verdict whose cost depends on variables keeps its document (in the estimator).
    const bytes = verdict.kind === 'admitted' && typeof verdict.cost !== 'number' ? 512 + query.length * 24 : 512;
    this.verdicts.set(key, verdict, bytes);
    return { verdict, text: document ? { key, validated: { document, schema: this.schema.apiSchema } } : { key } };
  }

  /** The estimated cost of an admitted operation for these variables. */
  static costOf(verdict: Extract<GateVerdict, { kind: 'admitted' }>, variables: Readonly<Record<string, unknown>>): number {
    return typeof verdict.cost === 'number' ? verdict.cost : verdict.cost.estimate(variables).cost;
  }

  private decide(query: string, operationName: string | undefined, trace: Context): { verdict: GateVerdict; document?: DocumentNode } {
    const lexical = exceededLexicalLimit(query, this.settings.lexical);
    if (lexical) return { verdict: refused(lexical.code, lexical.message, { limit: lexical.limit }) };
    let document: DocumentNode;
    try {
      // A span only here, on a cache miss: a repeated operation is never parsed again.
      document = inSpanSync('graphql.parse', () => parse(query, { noLocation: true }), trace);
    } catch {
      return { verdict: { kind: 'unjudged', listed: this.listed(query, undefined) } };
    }
    const operation = getOperationAST(document, operationName);
    if (!operation) return { verdict: { kind: 'unjudged', listed: this.listed(query, document) } };
    const exceeded = exceededLimits(measureOperation(this.schema.apiSchema, document, operation), this.settings.operation);
    const first = exceeded[0];
    if (first) {
      return {
        verdict: refused(first.code, exceeded.map((limit) => limit.message).join(' '), {
          limit: first.limit,
          measured: first.measured,
          ...(exceeded.length > 1 ? { exceeded: exceeded.map(({ code, limit, measured }) => ({ code, limit, measured })) } : {}),
        }),
      };
    }
    const listed = this.listed(query, document);
    if (inSpanSync('graphql.validate', () => validateDocument(this.schema.apiSchema, document), trace).length > 0) return { verdict: { kind: 'unjudged', listed } };
    const estimator = new OperationCostEstimator(this.schema.apiSchema, this.schema.costs, this.settings.cost, document, operation);
    const estimate = estimator.estimate({});
    const cost = estimate.dependsOnVariables ? estimator : estimate.cost;
    // A cost that variables cannot lower is refused now; one that depends on them, per request.
    if (!estimate.dependsOnVariables && estimate.cost > this.settings.cost.maxCost) return { verdict: tooExpensive(estimate.cost, this.settings.cost.maxCost) };
    const cachePolicy = this.schema.cacheHints ? operationCachePolicy(this.schema.apiSchema, this.schema.cacheHints, operation, fragmentsOf(document)) : UNCACHEABLE;
    return { verdict: { kind: 'admitted', operationType: operation.operation, listed, cost, cachePolicy }, document };
  }

  private listed(query: string, document: DocumentNode | undefined): boolean {
    return this.trusted ? this.trusted.lists(query, () => document) : true;
  }
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return fragments;
}

function refused(code: string, message: string, extensions: Record<string, unknown>): GateVerdict {
  return { kind: 'refused', refusal: { status: 400, code, message, extensions } };
}

export function tooExpensive(cost: number, maxCost: number): GateVerdict & { kind: 'refused' } {
  return {
    kind: 'refused',
    refusal: {
      status: 400,
      code: 'COST_ESTIMATED_TOO_EXPENSIVE',
      message: `The operation's estimated cost (${Number.isSafeInteger(cost) ? cost : 'more than 2^53'}) is above the limit (${maxCost}): ask for fewer items or fewer fields.`,
      // `cost` has the shape `graphql-expose-cost: true` gives an answered operation.
      extensions: { limit: maxCost, measured: Number.isFinite(cost) ? cost : null, cost: costExtension(cost, maxCost, undefined) },
    },
  };
}
