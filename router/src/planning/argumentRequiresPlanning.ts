import { parse, visit, type DocumentNode } from 'graphql';
import type { QueryPlan } from '@apollo/query-planner';
import { HiveQueryPlanning, selectsAny } from './hiveQueryPlanning';
import type { PlannerFallbackListener, QueryPlanning } from './queryPlanning';

/**
 * Names of the supergraph's fields whose `@requires` field set passes arguments (composed as
 * `@join__field(requires: "price(currency: \"EUR\")")`). Federation 2.1.2 allows arguments there.
 */
export function argumentRequiringFields(supergraphSdl: string): ReadonlySet<string> {
  const names = new Set<string>();
  // Parsed again only when some `requires:` field set has an argument list (a `(`): most
  // supergraphs, ours included, have none, and this runs at every supergraph load.
  if (!/requires: "[^"]*\(/.test(supergraphSdl)) return names;
  visit(parse(supergraphSdl), {
    FieldDefinition(field) {
      const requiresArguments = field.directives?.some(
        (directive) =>
          directive.name.value === 'join__field' &&
          directive.arguments?.some((argument) => argument.name.value === 'requires' && argument.value.kind === 'StringValue' && argument.value.value.includes('(')),
      );
      if (requiresArguments) names.add(field.name.value);
    },
  });
  return names;
}

/**
 * The default planning (QUERY_PLANNER=apollo) where a supergraph has `@requires` with arguments.
 * Apollo's planner (2.14.4) fetches a required field once per name, whatever its arguments: two
 * requirements of `price` in different currencies, or the client's own `price(currency: "USD")`
 * beside a requirement of `price(currency: "EUR")`, get one price sent for both, and the requiring
 * field is computed from the wrong one with no error anywhere. Hive's planner keeps them apart
 * (under an alias the executor sends back by the declared name). So an operation that selects a
 * field requiring arguments is planned by Hive's planner; every other operation, and what Hive's
 * plan cannot be run for (logged once per kind), by Apollo's. Hive's addon loads on the first
 * such operation only.
 */
export class ArgumentRequiresPlanning implements QueryPlanning {
  readonly name = 'apollo';
  private hive: HiveQueryPlanning | undefined;

  constructor(
    private readonly supergraphSdl: string,
    private readonly requiringFields: ReadonlySet<string>,
    private readonly apollo: QueryPlanning,
    private readonly onFallback?: PlannerFallbackListener,
  ) {}

  planQuery(document: DocumentNode, operationName: string | undefined): QueryPlan {
    if (!selectsAny(document, this.requiringFields)) return this.apollo.planQuery(document, operationName);
    this.hive ??= new HiveQueryPlanning(this.supergraphSdl, this.apollo, this.onFallback);
    return this.hive.planQuery(document, operationName);
  }
}
