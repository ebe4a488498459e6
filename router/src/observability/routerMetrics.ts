import { BoundedLabelValues, REQUEST_DURATION_BUCKETS, SeriesCounter, SeriesHistogram, type CountingSeries, type ObservingSeries, type ServiceMetrics } from '@booking/runtime/dist/router';
import { Gauge } from 'prom-client';
import { operationCacheBytes } from '../byteBoundedCache';

/** How a request ended, as its log line says: answered without errors, with errors, or the client left. */
export type RequestOutcome = 'ok' | 'error' | 'aborted';

/** The operation's type, or `unknown` when the request ended before its operation was resolved (refused, malformed). */
export type OperationTypeLabel = 'query' | 'mutation' | 'subscription' | 'unknown';

/** How a subgraph call ended: answered without errors, answered with GraphQL errors, or no GraphQL answer at all. */
export type SubgraphOutcome = 'ok' | 'errors' | 'failed';

/** The router's caches whose lookups are counted. */
export type CacheName = 'gate_verdict' | 'prepared_operation' | 'query_plan';

/**
 * Why a request went to Apollo Server and @apollo/gateway (router_gateway_requests_total):
 * - executor_gateway: ROUTER_EXECUTOR=gateway sends every request there;
 * - plan: an operation the router's executor cannot run yet (introspection in a root fragment or beside @defer);
 * - other: anything else the router's executor did not take (none is expected).
 */
export type GatewayReason = 'executor_gateway' | 'plan' | 'other';

/** How one resubscribe after a dropped upstream subscription went. */
export type ResubscriptionOutcome = 'resumed' | 'failed' | 'refused' | 'gave_up';

/** Why a subscription event never reached a subscriber. */
export type DroppedEventReason = 'subscriber_buffer_full' | 'completion_failed';

/**
 * How an entity's lookup in the entity cache went: found, not found (fetched, then stored), or
 * bypassed (Redis did not answer in time: fetched and not stored).
 */
export type EntityCacheOutcome = 'hit' | 'miss' | 'bypass';

/** One subgraph's entity cache counters, bound once. */
export type EntityCacheLookups = Readonly<Record<EntityCacheOutcome, CountingSeries>>;

/**
 * How a write to the entity cache after a miss went: stored, or refused (the entity was evicted
 * after the lookup read its epoch, so the answer may predate the change; or Redis failed).
 */
export type EntityCacheWriteOutcome = 'stored' | 'refused';

/** One subgraph's entity cache write counters, bound once. */
export type EntityCacheWrites = Readonly<Record<EntityCacheWriteOutcome, CountingSeries>>;

/** Counts one write's outcome (`stored` from the store's answer); nothing without metrics. */
export function countEntityCacheWrite(writes: EntityCacheWrites | undefined, stored: boolean): void {
  writes?.[stored ? 'stored' : 'refused'].inc();
}

/** A cache's lookup counters, bound once. */
export interface CacheLookups {
  hit(): void;
  miss(): void;
}

/**
 * Distinct operation names with a label value of their own beyond the trusted documents' (see
 * BoundedLabelValues): enough for every operation of the apps we serve, far too few for a
 * client inventing names to grow the series without bound.
 */
export const OPERATION_NAME_LABELS = 200;
/** Distinct error codes with a label value of their own (ours are a few dozen). */
const CODE_LABELS = 100;
/** Distinct entity types with a label value of their own (invalidation messages name them; ours are a handful). */
const ENTITY_TYPE_LABELS = 50;

type RequestLabel = 'operation_name' | 'operation_type' | 'outcome';
interface BoundRequest {
  readonly count: CountingSeries;
  readonly time: ObservingSeries;
}

/**
 * The router's metrics, on its registry (served at /metrics). Every label value that comes
 * from a client (operation names) or a subgraph (error codes) passes a BoundedLabelValues;
 * each label combination is bound once (SeriesCounter, SeriesHistogram) and kept, so recording a
 * request is two map lookups and a few additions.
 */
export class RouterMetrics {
  private readonly requests: SeriesCounter<RequestLabel>;
  private readonly requestDurations: SeriesHistogram<RequestLabel>;
  private readonly boundRequests = new Map<string, Map<string, BoundRequest>>();
  private readonly refusals: SeriesCounter<'code'>;
  private readonly boundRefusals = new Map<string, CountingSeries>();
  private readonly subgraphDurations: SeriesHistogram<'subgraph' | 'outcome'>;
  private readonly boundSubgraphDurations = new Map<string, Record<SubgraphOutcome, ObservingSeries>>();
  private readonly subgraphErrors: SeriesCounter<'subgraph' | 'code'>;
  private readonly boundSubgraphErrors = new Map<string, CountingSeries>();
  private readonly cacheLookupCounter: SeriesCounter<'cache' | 'result'>;
  private readonly circuitStates: Gauge<'subgraph'>;
  private readonly shortCircuitedCalls: SeriesCounter<'subgraph'>;
  private readonly boundShortCircuited = new Map<string, CountingSeries>();
  private readonly retriedCalls: SeriesCounter<'subgraph'>;
  private readonly entityCacheLookupCounter: SeriesCounter<'subgraph' | 'outcome'>;
  private readonly boundEntityCacheLookups = new Map<string, EntityCacheLookups>();
  private readonly entityCacheWriteCounter: SeriesCounter<'subgraph' | 'outcome'>;
  private readonly boundEntityCacheWrites = new Map<string, EntityCacheWrites>();
  private readonly entityEvictions: SeriesCounter<'typename'>;
  private readonly boundEntityEvictions = new Map<string, CountingSeries>();
  private readonly typenames = new BoundedLabelValues(ENTITY_TYPE_LABELS);
  private readonly boundRetried = new Map<string, CountingSeries>();
  private readonly eventsDelivered: CountingSeries;
  private readonly eventsDropped: Record<DroppedEventReason, CountingSeries>;
  private readonly slowConsumers: CountingSeries;
  private readonly upstreamDrops: SeriesCounter<'subgraph'>;
  private readonly upstreamResubscriptions: SeriesCounter<'subgraph' | 'outcome'>;
  private readonly codes = new BoundedLabelValues(CODE_LABELS);
  private openSubscriptions: () => number = () => 0;
  private gatewayBuilt: () => boolean = () => false;
  private readonly gatewayRequests: Readonly<Record<GatewayReason, CountingSeries>>;

  constructor(
    metrics: ServiceMetrics,
    /** Operation names as label values: the trusted documents' names are always their own. */
    private readonly operationNames: BoundedLabelValues = new BoundedLabelValues(OPERATION_NAME_LABELS),
  ) {
    const registers = [metrics.registry];
    const requestLabels: RequestLabel[] = ['operation_name', 'operation_type', 'outcome'];
    this.requests = new SeriesCounter({
      name: 'router_requests_total',
      help: 'GraphQL requests the router ended (every transport; a subscription counts once, when it ends)',
      labelNames: requestLabels,
      registers,
    });
    this.requestDurations = new SeriesHistogram({
      name: 'router_request_duration_seconds',
      help: 'Time from a GraphQL request reaching the router to its response being sent (subscription streams excluded)',
      labelNames: requestLabels,
      buckets: REQUEST_DURATION_BUCKETS,
      registers,
    });
    this.refusals = new SeriesCounter({
      name: 'router_refusals_total',
      help: 'Requests and subscriptions the router refused before execution, by error code (limits, rate limit, auth, CSRF, safelist, quotas)',
      labelNames: ['code'],
      registers,
    });
    this.subgraphDurations = new SeriesHistogram({
      name: 'router_subgraph_request_duration_seconds',
      help: 'Subgraph calls of the router by subgraph and outcome (ok, errors: answered with GraphQL errors, failed: no GraphQL answer)',
      labelNames: ['subgraph', 'outcome'],
      buckets: REQUEST_DURATION_BUCKETS,
      registers,
    });
    this.subgraphErrors = new SeriesCounter({
      name: 'router_subgraph_errors_total',
      help: 'Errors of subgraph calls by subgraph and code: each GraphQL error a subgraph answered with, or the failure of a call (SUBGRAPH_UNAVAILABLE, SUBGRAPH_TIMEOUT, SUBGRAPH_HTTP_ERROR, REQUEST_TIMEOUT)',
      labelNames: ['subgraph', 'code'],
      registers,
    });
    this.cacheLookupCounter = new SeriesCounter({
      name: 'router_operation_cache_lookups_total',
      help: 'Lookups in the router operation caches (gate_verdict, prepared_operation, query_plan) by result (hit, miss)',
      labelNames: ['cache', 'result'],
      registers,
    });
    this.circuitStates = new Gauge({
      name: 'router_subgraph_circuit_state',
      help: "State of the router's circuit breaker for each subgraph: 0 closed, 1 half-open (one probe call), 2 open (calls fail fast with SUBGRAPH_UNAVAILABLE)",
      labelNames: ['subgraph'],
      registers,
    });
    this.shortCircuitedCalls = new SeriesCounter({
      name: 'router_subgraph_calls_short_circuited_total',
      help: 'Subgraph calls the router did not make because that subgraph\'s circuit breaker was open (answered SUBGRAPH_UNAVAILABLE at once)',
      labelNames: ['subgraph'],
      registers,
    });
    this.retriedCalls = new SeriesCounter({
      name: 'router_subgraph_retries_total',
      help: "Retries of queries' subgraph calls after a refused or reset connection or HTTP 502/503/504",
      labelNames: ['subgraph'],
      registers,
    });
    const cacheBytes = new Gauge<'cache'>({
      name: 'router_operation_cache_bytes',
      help: 'Estimated heap the router operation caches hold (gate_verdict, prepared_operation, document, apq, subscription_plan), each bounded by its share of OPERATION_CACHE_MAX_BYTES',
      labelNames: ['cache'],
      registers,
      collect() {
        for (const [cache, bytes] of operationCacheBytes()) cacheBytes.set({ cache }, bytes);
      },
    });
    const open = () => this.openSubscriptions();
    new Gauge({
      name: 'router_subscriptions_open',
      help: 'Subscription streams open to clients (every transport)',
      registers,
      collect() {
        this.set(open());
      },
    });
    this.eventsDelivered = new SeriesCounter({ name: 'router_subscription_events_delivered_total', help: 'Subscription events sent to clients', registers }).series({});
    const dropped = new SeriesCounter<'reason'>({
      name: 'router_subscription_events_dropped_total',
      help: 'Subscription events a subscriber never received, by reason (subscriber_buffer_full: the stream was ended as too slow; completion_failed: an error went instead)',
      labelNames: ['reason'],
      registers,
    });
    this.eventsDropped = { subscriber_buffer_full: dropped.series({ reason: 'subscriber_buffer_full' }), completion_failed: dropped.series({ reason: 'completion_failed' }) };
    this.slowConsumers = new SeriesCounter({
      name: 'router_slow_consumers_closed_total',
      help: 'Subscribers cut off for reading too slowly (SLOW_CONSUMER: event queue or unsent bytes over their bound)',
      registers,
    }).series({});
    this.upstreamDrops = new SeriesCounter({
      name: 'router_upstream_subscription_drops_total',
      help: 'Upstream subscriptions whose socket to the subgraph dropped while live (each then resubscribed for SUBSCRIPTION_RESUBSCRIBE_GRACE_MS)',
      labelNames: ['subgraph'],
      registers,
    });
    this.upstreamResubscriptions = new SeriesCounter({
      name: 'router_upstream_resubscriptions_total',
      help: 'Resubscribe outcomes after a drop: resumed, failed (one attempt; another follows), refused (the subgraph answered with GraphQL errors), gave_up (grace period over: SUBGRAPH_UNAVAILABLE)',
      labelNames: ['subgraph', 'outcome'],
      registers,
    });
    this.entityCacheLookupCounter = new SeriesCounter({
      name: 'router_entity_cache_lookups_total',
      help: 'Entities of entity fetches looked up in the entity cache (ENTITY_CACHE=on), by subgraph and outcome (hit; miss: fetched and stored; bypass: Redis did not answer, fetched and not stored)',
      labelNames: ['subgraph', 'outcome'],
      registers,
    });
    this.entityCacheWriteCounter = new SeriesCounter({
      name: 'router_entity_cache_writes_total',
      help: 'Entries written to the entity cache after a miss, by subgraph and outcome (stored; refused: the entity was evicted since the lookup, or Redis failed). Written after the answer is sent',
      labelNames: ['subgraph', 'outcome'],
      registers,
    });
    this.entityEvictions = new SeriesCounter({
      name: 'router_entity_cache_evictions_total',
      help: 'Entities this router evicted from the entity cache on invalidation messages, by type (every router instance evicts each one)',
      labelNames: ['typename'],
      registers,
    });
    const built = () => this.gatewayBuilt();
    new Gauge({
      name: 'router_gateway_built',
      help: 'Whether Apollo Server and @apollo/gateway are built (1) or not (0): with ROUTER_EXECUTOR=router they are built on the first request left to them',
      registers,
      collect() {
        this.set(built() ? 1 : 0);
      },
    });
    const handedOver = new SeriesCounter<'reason'>({
      name: 'router_gateway_requests_total',
      help: 'Requests handed to Apollo Server and @apollo/gateway rather than run by the router\'s executor, by reason (executor_gateway, plan, other)',
      labelNames: ['reason'],
      registers,
    });
    // Every reason bound at start: a scrape shows 0 for each, not an absent series.
    this.gatewayRequests = {
      executor_gateway: handedOver.series({ reason: 'executor_gateway' }),
      plan: handedOver.series({ reason: 'plan' }),
      other: handedOver.series({ reason: 'other' }),
    };
  }

  /** One request handed to Apollo Server and @apollo/gateway. */
  gatewayRequest(reason: GatewayReason): void {
    this.gatewayRequests[reason].inc();
  }

  /** The entity cache's counters of one subgraph's fetches. */
  entityCacheLookups(subgraph: string): EntityCacheLookups {
    let bound = this.boundEntityCacheLookups.get(subgraph);
    if (!bound) {
      const counter = this.entityCacheLookupCounter;
      bound = { hit: counter.series({ subgraph, outcome: 'hit' }), miss: counter.series({ subgraph, outcome: 'miss' }), bypass: counter.series({ subgraph, outcome: 'bypass' }) };
      this.boundEntityCacheLookups.set(subgraph, bound);
    }
    return bound;
  }

  /** The entity cache's write counters of one subgraph's fetches. */
  entityCacheWrites(subgraph: string): EntityCacheWrites {
    let bound = this.boundEntityCacheWrites.get(subgraph);
    if (!bound) {
      const counter = this.entityCacheWriteCounter;
      bound = { stored: counter.series({ subgraph, outcome: 'stored' }), refused: counter.series({ subgraph, outcome: 'refused' }) };
      this.boundEntityCacheWrites.set(subgraph, bound);
    }
    return bound;
  }

  entityEvicted(typename: string): void {
    const label = this.typenames.valueOf(typename);
    let bound = this.boundEntityEvictions.get(label);
    if (!bound) {
      bound = this.entityEvictions.series({ typename: label });
      this.boundEntityEvictions.set(label, bound);
    }
    bound.inc();
  }

  /** One request ended; a stream's duration is its lifetime, so only its count is kept. */
  requestEnded(operationName: string | null, operationType: OperationTypeLabel, outcome: RequestOutcome, seconds: number, streaming: boolean): void {
    const name = operationType === 'unknown' ? 'unknown' : this.operationNames.valueOf(operationName);
    let byName = this.boundRequests.get(name);
    if (!byName) {
      byName = new Map();
      this.boundRequests.set(name, byName);
    }
    // Type and outcome are a dozen known pairs: the key is one of a few interned strings.
    const key = KEYS[operationType][outcome];
    let bound = byName.get(key);
    if (!bound) {
      const labels = { operation_name: name, operation_type: operationType, outcome };
      bound = { count: this.requests.series(labels), time: this.requestDurations.series(labels) };
      byName.set(key, bound);
    }
    bound.count.inc();
    if (!streaming) bound.time.observe(seconds);
  }

  refused(code: string): void {
    const label = this.codes.valueOf(code);
    let bound = this.boundRefusals.get(label);
    if (!bound) {
      bound = this.refusals.series({ code: label });
      this.boundRefusals.set(label, bound);
    }
    bound.inc();
  }

  subgraphFetched(subgraph: string, seconds: number, outcome: SubgraphOutcome): void {
    let bound = this.boundSubgraphDurations.get(subgraph);
    if (!bound) {
      const bind = (each: SubgraphOutcome) => this.subgraphDurations.series({ subgraph, outcome: each });
      bound = { ok: bind('ok'), errors: bind('errors'), failed: bind('failed') };
      this.boundSubgraphDurations.set(subgraph, bound);
    }
    bound[outcome].observe(seconds);
  }

  /** Subgraph names come from the supergraph (a handful), codes through the bound. */
  subgraphError(subgraph: string, code: unknown): void {
    const label = this.codes.valueOf(typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR');
    const key = `${subgraph}\u0000${label}`;
    let bound = this.boundSubgraphErrors.get(key);
    if (!bound) {
      bound = this.subgraphErrors.series({ subgraph, code: label });
      this.boundSubgraphErrors.set(key, bound);
    }
    bound.inc();
  }

  /**
   * A subgraph's breaker was made (closed) or changed state. Its counters start at 0 with it,
   * so a rate over them exists before the first call fails fast.
   */
  circuitState(subgraph: string, value: number): void {
    this.circuitStates.labels(subgraph).set(value);
    this.boundCounter(this.boundShortCircuited, this.shortCircuitedCalls, subgraph);
    this.boundCounter(this.boundRetried, this.retriedCalls, subgraph);
  }

  subgraphShortCircuited(subgraph: string): void {
    this.boundCounter(this.boundShortCircuited, this.shortCircuitedCalls, subgraph).inc();
  }

  subgraphRetried(subgraph: string): void {
    this.boundCounter(this.boundRetried, this.retriedCalls, subgraph).inc();
  }

  private boundCounter(bound: Map<string, CountingSeries>, counter: SeriesCounter<'subgraph'>, subgraph: string): CountingSeries {
    let series = bound.get(subgraph);
    if (!series) {
      series = counter.series({ subgraph });
      bound.set(subgraph, series);
    }
    return series;
  }

  cacheLookups(cache: CacheName): CacheLookups {
    const hit = this.cacheLookupCounter.series({ cache, result: 'hit' });
    const miss = this.cacheLookupCounter.series({ cache, result: 'miss' });
    return { hit: () => hit.inc(), miss: () => miss.inc() };
  }

  /** The trusted documents' operation names: always a label value of their own. */
  knowOperationNames(names: Iterable<string>): void {
    this.operationNames.know(names);
  }

  /** Where router_gateway_built reads its value when scraped. */
  reportGatewayBuilt(built: () => boolean): void {
    this.gatewayBuilt = built;
  }

  /** Where the open-subscriptions gauge reads its value when scraped. */
  countOpenSubscriptions(count: () => number): void {
    this.openSubscriptions = count;
  }

  eventDelivered(): void {
    this.eventsDelivered.inc();
  }

  eventDropped(reason: DroppedEventReason, count = 1): void {
    this.eventsDropped[reason].inc(count);
  }

  /** Rare (a subgraph restart), so labels are looked up per call. */
  upstreamSubscriptionDropped(subgraph: string): void {
    this.upstreamDrops.series({ subgraph }).inc();
  }

  upstreamResubscription(subgraph: string, outcome: ResubscriptionOutcome): void {
    this.upstreamResubscriptions.series({ subgraph, outcome }).inc();
  }

  slowConsumerClosed(): void {
    this.slowConsumers.inc();
  }
}

const KEYS: Record<OperationTypeLabel, Record<RequestOutcome, string>> = {
  query: { ok: 'query ok', error: 'query error', aborted: 'query aborted' },
  mutation: { ok: 'mutation ok', error: 'mutation error', aborted: 'mutation aborted' },
  subscription: { ok: 'subscription ok', error: 'subscription error', aborted: 'subscription aborted' },
  unknown: { ok: 'unknown ok', error: 'unknown error', aborted: 'unknown aborted' },
};
