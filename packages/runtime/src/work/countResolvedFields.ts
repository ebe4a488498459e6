import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { RequestWork } from './requestWork';

function workOf(context: unknown): RequestWork | undefined {
  if (context === null || typeof context !== 'object') return undefined;
  const work = (context as { work?: unknown }).work;
  return work instanceof RequestWork ? work : undefined;
}

/**
 * Makes every field of every object type spend from the request's `RequestWork` before it
 * resolves, trivial property reads included: the cost of a response is its number of fields,
 * whoever resolves them. Done once on the built schema, so no resolver has to remember it.
 */
export function countResolvedFields(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        const work = workOf(context);
        const turn = work?.spend(info.path);
        if (!work || !turn) return resolve(source, args, context, info);
        return turn.then(() => {
          work.stillWanted(info.path);
          return resolve(source, args, context, info);
        });
      };
    }
  }
  return schema;
}
