import { CUSTOM_SCALARS, DomainError, InvalidScalarValue, type CustomScalar } from '@booking/runtime/dist/router';
import { GraphQLError, isScalarType, isSpecifiedScalarType, valueFromASTUntyped, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';

function check(custom: CustomScalar, parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    throw new InvalidScalarValue(custom.scalar.name, error instanceof Error ? error.message : String(error), custom.example);
  }
}

/**
 * A supergraph names its custom scalars but carries no code for them, so graphql-js takes any
 * value for one: a malformed date passed the router and was refused by the subgraph, as a
 * validation failure without the variable's name (or, before subgraph refusals were passed
 * on, as SUBGRAPH_HTTP_ERROR). This gives each custom scalar of one of the router's schemas
 * the input check of the implementation the subgraphs parse it with (CUSTOM_SCALARS), in place:
 * the schemas are the router's own, built per supergraph load. A value is checked, never
 * converted, so the subgraph still gets exactly what the client sent. graphql-js then refuses
 * a bad variable ("Variable "$s" got invalid value …") or literal ("Expected value of type …,
 * found …") before any subgraph is called, on every executor and transport.
 *
 * Answers the custom scalars it has no check for: their values still go to the subgraphs unread.
 */
export function checkScalarInputs(schema: GraphQLSchema): string[] {
  const unchecked: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isScalarType(type) || isSpecifiedScalarType(type) || type.name.startsWith('__')) continue;
    const custom = CUSTOM_SCALARS.get(type.name);
    if (!custom) {
      unchecked.push(type.name);
      continue;
    }
    type.parseValue = (value) => {
      check(custom, () => custom.scalar.parseValue(value));
      return value;
    };
    type.parseLiteral = (node, variables) => {
      check(custom, () => custom.scalar.parseLiteral(node, variables));
      return valueFromASTUntyped(node, variables);
    };
  }
  return unchecked;
}

/**
 * The code of an error graphql-js raised from a domain error (a value a scalar refused):
 * BAD_USER_INPUT, for a literal too, where Apollo Server and our subscription transports would
 * say GRAPHQL_VALIDATION_FAILED. Undefined for any other error.
 */
export function domainCodeOf(error: unknown): string | undefined {
  if (!(error instanceof GraphQLError)) return undefined;
  return error.originalError instanceof DomainError ? error.originalError.code : undefined;
}

/** Apollo Server's formatError: the domain code wins over the stage that caught the error. */
export function withDomainCode(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = domainCodeOf(error);
  if (!code || formatted.extensions?.code === code) return formatted;
  return { ...formatted, extensions: { ...formatted.extensions, code } };
}
