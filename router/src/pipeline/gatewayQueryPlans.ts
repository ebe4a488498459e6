import type { Experimental_DidResolveQueryPlanCallback } from '@apollo/gateway';
import type { QueryPlan } from '@apollo/query-planner';
import type { GatewayExecutor, GatewayInterface, GatewayLoadResult } from '@apollo/server-gateway-interface';
import type { RouterContext } from '../routerContext';
import type { SupergraphPlanner } from '../supergraphPlanner';
import type { QueryPlanExposure } from './queryPlanExposure';

function exposureAsked(context: object): QueryPlanExposure | undefined {
  return (context as Partial<RouterContext>).responseAdditions?.queryPlan;
}

/**
 * The plans of requests on the @apollo/gateway path that asked for theirs
 * (Apollo-Expose-Query-Plan), kept beside their context until the response goes out. The
 * gateway hands each plan it resolved to `didResolveQueryPlan` before it executes it: the
 * plan exposed is the one that ran. Requests that did not ask keep nothing.
 */
export class GatewayQueryPlans {
  private readonly plans = new WeakMap<object, QueryPlan>();

  /** For ApolloGateway's `experimental_didResolveQueryPlan`. */
  readonly didResolveQueryPlan: Experimental_DidResolveQueryPlanCallback = ({ queryPlan, requestContext }) => {
    if (exposureAsked(requestContext.context)) this.plans.set(requestContext.context, queryPlan);
  };

  of(context: object): QueryPlan | undefined {
    return this.plans.get(context);
  }

  /**
   * The gateway with dry runs: a request that asked for `dry-run` is planned (the gateway's
   * planner, @apollo/query-planner with its default settings, over the same supergraph) and
   * answered with no data; the gateway never executes it, so no subgraph is called. Placed
   * inside the authorizing gateway, so the plan is the one the viewer's operation would run.
   */
  dryRunning(gateway: GatewayInterface, planner: () => SupergraphPlanner): GatewayInterface {
    const plans = this.plans;
    const planOnly =
      (execute: GatewayExecutor): GatewayExecutor =>
      async (requestContext) => {
        if (exposureAsked(requestContext.context) !== 'dry-run') return execute(requestContext);
        plans.set(requestContext.context, planner().planQuery(requestContext.document, requestContext.request.operationName));
        return {};
      };
    return {
      async load(options): Promise<GatewayLoadResult> {
        const loaded = await gateway.load(options);
        return { executor: loaded.executor && planOnly(loaded.executor) };
      },
      onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
      stop: () => gateway.stop(),
    };
  }
}
