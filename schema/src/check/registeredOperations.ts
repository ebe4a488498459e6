import { buildSchema, parse, validate, type GraphQLSchema } from 'graphql';

/** An operation a client registered (an entry of Apollo's persisted query manifest). */
export interface RegisteredOperation {
  readonly name: string;
  readonly body: string;
}

export interface InvalidOperation {
  readonly name: string;
  readonly errors: readonly string[];
}

/** The operations of a trusted-documents manifest (`apollo-persisted-query-manifest`, version 1). */
export function readManifestOperations(text: string, source: string): RegisteredOperation[] {
  const manifest = JSON.parse(text) as { format?: unknown; version?: unknown; operations?: unknown };
  if (manifest.format !== 'apollo-persisted-query-manifest' || manifest.version !== 1 || !Array.isArray(manifest.operations)) {
    throw new Error(`${source}: not an Apollo persisted query manifest (format "apollo-persisted-query-manifest", version 1)`);
  }
  return manifest.operations.map((operation: unknown, index) => {
    const { name, body } = (operation ?? {}) as { name?: unknown; body?: unknown };
    if (typeof name !== 'string' || typeof body !== 'string') throw new Error(`${source}: operations[${index}] needs a name and a body`);
    return { name, body };
  });
}

/** The registered operations that no longer parse or validate against a schema, with why. */
export function invalidOperations(schemaSdl: string | GraphQLSchema, operations: readonly RegisteredOperation[]): InvalidOperation[] {
  const schema = typeof schemaSdl === 'string' ? buildSchema(schemaSdl) : schemaSdl;
  const invalid: InvalidOperation[] = [];
  for (const operation of operations) {
    let errors: string[];
    try {
      errors = validate(schema, parse(operation.body)).map((error) => error.message);
    } catch (error) {
      errors = [error instanceof Error ? error.message : String(error)];
    }
    if (errors.length > 0) invalid.push({ name: operation.name, errors });
  }
  return invalid;
}
