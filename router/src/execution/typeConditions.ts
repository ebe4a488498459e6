import { isAbstractType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';

type JsonObject = Record<string, unknown>;

/**
 * Does an object of the merged result belong to `condition` (a type of the supergraph)? Its
 * `__typename` is the type itself, or one of its members or implementations. An interface
 * counts as a member of the interfaces it implements: an `@interfaceObject` subgraph answers
 * with the interface's own name.
 *
 * `whenUnknown` is the answer for an object without `__typename`: the planner does not ask
 * for it where the path's type is already certain (plan paths and rewrites read it as a
 * match); a `requires` selection asks for it, so there a missing one is no match.
 */
export function isOfType(schema: GraphQLSchema, object: JsonObject, condition: string, whenUnknown: boolean): boolean {
  const typename = Object.hasOwn(object, '__typename') ? object.__typename : undefined;
  if (typeof typename !== 'string') return whenUnknown;
  if (typename === condition) return true;
  const abstract = schema.getType(condition);
  const concrete = schema.getType(typename);
  return !!abstract && !!concrete && isAbstractType(abstract) && (isObjectType(concrete) || isInterfaceType(concrete)) && schema.isSubType(abstract, concrete);
}

/** Is the type of this name an interface or union of the supergraph (a type no object has at run time)? */
export function isAbstractTypeName(schema: GraphQLSchema, typename: unknown): boolean {
  if (typeof typename !== 'string') return false;
  const type = schema.getType(typename);
  return !!type && isAbstractType(type);
}

const FRAGMENT_PREFIX = '... on ';

/** `T` for a plan path element `... on T` (a type condition in rewrite, context and Flatten paths); undefined for a key. */
export function fragmentCondition(element: string): string | undefined {
  return element.startsWith(FRAGMENT_PREFIX) ? element.slice(FRAGMENT_PREFIX.length).trim() : undefined;
}
