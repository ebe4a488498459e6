import 'reflect-metadata';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { graphql, parse, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap, type NonEmptyArray } from 'type-graphql';

/** The Federation 2 spec version every subgraph links; composition pins its own version. */
export const FEDERATION_SPEC_URL = 'https://specs.apollo.dev/federation/v2.9';

const FEDERATION_DIRECTIVES = [
  'key',
  'shareable',
  'external',
  'requires',
  'provides',
  'inaccessible',
  'override',
  'tag',
  'interfaceObject',
  'authenticated',
  'requiresScopes',
  'policy',
  'composeDirective',
  'cost',
  'listSize',
] as const;

/**
 * Apollo's `@cacheControl` convention. Federation has no such directive, so a subgraph that
 * hints declares it under a `@link` of its own and `@composeDirective` carries it into the
 * supergraph, where the router's entity cache reads it (whatever URL version, any import name).
 */
export const CACHE_CONTROL_SPEC_URL = 'https://booking.example/cacheControl/v1.0';
const CACHE_CONTROL_DEFINITIONS = `directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
enum CacheControlScope { PUBLIC PRIVATE }`;

/** The schema header: federation's `@link`, plus the cache-control link when the schema hints. */
function schemaHeader(printed: string): string {
  const hints = /@cacheControl\b/.test(printed);
  const used = FEDERATION_DIRECTIVES.filter((name) => new RegExp(`@${name}\\b`).test(printed) || (hints && name === 'composeDirective'));
  const federation = `@link(url: "${FEDERATION_SPEC_URL}", import: [${used.map((d) => `"@${d}"`).join(', ')}])`;
  if (!hints) return `extend schema ${federation}`;
  return `extend schema ${federation}
  @link(url: "${CACHE_CONTROL_SPEC_URL}", import: ["@cacheControl"])
  @composeDirective(name: "@cacheControl")
${CACHE_CONTROL_DEFINITIONS}`;
}

export type ReferenceResolvers<Context> = Record<
  string,
  { __resolveReference(reference: { id: string }, context: Context): unknown }
>;

export interface FederatedSchemaOptions<Context> {
  // type-graphql takes resolver classes as an untyped list of constructors.
  // eslint-disable-next-line @typescript-eslint/ban-types
  readonly resolvers: NonEmptyArray<Function>;
  // eslint-disable-next-line @typescript-eslint/ban-types
  readonly orphanedTypes?: Function[];
  readonly referenceResolvers: ReferenceResolvers<Context>;
}

/**
 * type-graphql insists on a PubSub when a schema has subscriptions; ours pass their own
 * `subscribe` (LiveUpdates, with bounded queues and immediate teardown), so this one is never used.
 */
const subscriptionsSubscribeThemselves = {
  publish(): void {
    throw new Error('publish through LiveUpdates (context.live)');
  },
  subscribe(): AsyncIterable<unknown> {
    throw new Error('subscription resolvers must pass their own subscribe function');
  },
};

/**
 * type-graphql classes → subgraph schema. type-graphql cannot emit federation on its own:
 * its schema is printed with directives, given the `@link` header for exactly the federation
 * directives it uses, and rebuilt by `buildSubgraphSchema` with the class resolvers plus the
 * reference resolvers that live beside each entity.
 */
export async function buildFederatedSchema<Context>(options: FederatedSchemaOptions<Context>): Promise<GraphQLSchema> {
  const classSchema = await buildSchema({
    resolvers: options.resolvers,
    orphanedTypes: options.orphanedTypes,
    validate: { forbidUnknownValues: false },
    skipCheck: true,
    pubSub: subscriptionsSubscribeThemselves,
  });
  const printed = printSchemaWithDirectives(classSchema);
  const header = schemaHeader(printed);
  const resolvers = createResolversMap(classSchema) as GraphQLResolverMap<unknown>;
  for (const [typeName, reference] of Object.entries(options.referenceResolvers)) {
    // The subgraph runtime calls __resolveReference with the request context it was given.
    resolvers[typeName] = { ...(resolvers[typeName] as object), ...reference } as GraphQLResolverMap<unknown>[string];
  }
  return buildSubgraphSchema({ typeDefs: parse(`${header}\n\n${printed}`), resolvers });
}

/**
 * Exactly what `_service { sdl }` answers, which is what `rover subgraph introspect` would
 * save; the committed per-subgraph files are this text.
 */
export async function printSubgraphSdl(schema: GraphQLSchema): Promise<string> {
  const result = await graphql({ schema, source: '{ _service { sdl } }' });
  const sdl = (result.data?._service as { sdl?: unknown } | undefined)?.sdl;
  if (typeof sdl !== 'string') throw new Error(`_service { sdl } failed: ${JSON.stringify(result.errors)}`);
  return `${sdl.trim()}\n`;
}
