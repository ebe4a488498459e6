import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { BoundedLabelValues } from './boundedLabel';
import { SeriesCounter, SeriesHistogram, type CountingSeries, type ObservingSeries } from './boundSeries';
import type { ServiceMetrics } from './metrics';

/** Seconds; from a cached lookup to a slow mutation with a statement timeout. */
export const REQUEST_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Distinct operation names a subgraph labels on its own (the router names its subgraph operations). */
const SUBGRAPH_OPERATION_NAMES = 200;

type Outcome = 'ok' | 'error';

/**
 * A subgraph's requests, counted and timed by Apollo Server itself (every transport of the
 * subgraph's /graphql), by operation name (bounded: BoundedLabelValues) and outcome (`error`:
 * the response carried errors).
 */
export function subgraphRequestMetrics<Context extends BaseContext>(metrics: ServiceMetrics, subgraph: string): ApolloServerPlugin<Context> {
  const registers = [metrics.registry];
  const labelNames = ['subgraph', 'operation_name', 'outcome'] as const;
  const requests = new SeriesCounter({ name: 'subgraph_requests_total', help: 'GraphQL requests this subgraph answered', labelNames, registers });
  const durations = new SeriesHistogram({
    name: 'subgraph_request_duration_seconds',
    help: 'Time from a GraphQL request reaching Apollo Server to its response',
    labelNames,
    buckets: REQUEST_DURATION_BUCKETS,
    registers,
  });
  const names = new BoundedLabelValues(SUBGRAPH_OPERATION_NAMES);
  // Series bound per (operation name, outcome): one map lookup per request.
  const children = new Map<string, Record<Outcome, { readonly count: CountingSeries; readonly time: ObservingSeries }>>();
  const childrenOf = (operationName: string) => {
    let bound = children.get(operationName);
    if (!bound) {
      const bind = (outcome: Outcome) => {
        const labels = { subgraph, operation_name: operationName, outcome };
        return { count: requests.series(labels), time: durations.series(labels) };
      };
      bound = { ok: bind('ok'), error: bind('error') };
      children.set(operationName, bound);
    }
    return bound;
  };
  return {
    async requestDidStart() {
      const startedAt = performance.now();
      let operationName: string | null = null;
      return {
        async didResolveOperation(request) {
          operationName = request.operationName;
        },
        async willSendResponse({ response }) {
          const body = response.body;
          const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
          const child = childrenOf(names.valueOf(operationName))[errors?.length ? 'error' : 'ok'];
          child.count.inc();
          child.time.observe((performance.now() - startedAt) / 1_000);
        },
      };
    },
  };
}
