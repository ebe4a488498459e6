import { createHash } from 'node:crypto';
import type { GatewayExecutor, GatewayInterface, GatewayLoadResult } from '@apollo/server-gateway-interface';
import { print } from 'graphql';
import type { RouterContext } from '../routerContext';
import type { AccessRequirements } from './accessRequirements';
import { authorizeOperation } from './operationAuthorizer';
import { checkScalarInputs } from '../scalarInputChecks';
import { operationResolutionError, subscriptionOverPlainHttpError } from '../execution/requestErrors';

/**
 * Wraps the gateway's executor so each operation is authorized before it is planned. A
 * rewritten operation gets its own query hash: the gateway caches plans by hash, and a plan
 * made for one viewer's rewritten operation must never serve another's.
 */
export class AuthorizingGateway implements GatewayInterface {
  constructor(
    private readonly gateway: GatewayInterface,
    private readonly requirements: () => AccessRequirements,
  ) {}

  async load(options: Parameters<GatewayInterface['load']>[0]): Promise<GatewayLoadResult> {
    const loaded = await this.gateway.load(options);
    return { executor: loaded.executor && this.authorizing(loaded.executor) };
  }

  /** Apollo Server validates against this schema: its custom scalars check input as the planner's do. */
  onSchemaLoadOrUpdate(callback: Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0]): () => void {
    return this.gateway.onSchemaLoadOrUpdate((schemaContext) => {
      checkScalarInputs(schemaContext.apiSchema);
      callback(schemaContext);
    });
  }

  stop(): Promise<void> {
    return this.gateway.stop();
  }

  private authorizing(execute: GatewayExecutor): GatewayExecutor {
    return async (requestContext) => {
      // No operation to run (several and no matching operationName): errors and no data, which
      // Apollo Server answers as 400 OPERATION_RESOLUTION_FAILURE. The gateway would throw (a 500).
      if (!requestContext.operation) return { errors: [operationResolutionError(requestContext.request.operationName)] };
      // @apollo/gateway cannot execute subscriptions (it throws, which would be a 500).
      if (requestContext.operation?.operation === 'subscription') return { errors: [subscriptionOverPlainHttpError()] };
      const viewer = (requestContext.context as Partial<RouterContext>).viewer ?? null;
      const outcome = authorizeOperation(
        requestContext.schema,
        this.requirements(),
        requestContext.document,
        requestContext.request.operationName,
        viewer,
      );
      if (outcome.errors.length === 0) return execute(requestContext);
      if (outcome.empty) return { data: null, errors: [...outcome.errors] };
      const source = print(outcome.document);
      const result = await execute({
        ...requestContext,
        document: outcome.document,
        operation: outcome.operation ?? requestContext.operation,
        source,
        queryHash: createHash('sha256').update(source).digest('hex'),
      });
      return { ...result, errors: [...outcome.denials.errorsIn(result.data), ...(result.errors ?? [])] };
    };
  }
}
