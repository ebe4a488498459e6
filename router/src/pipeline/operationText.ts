import { createHash } from 'node:crypto';
import type { DocumentNode, GraphQLSchema } from 'graphql';

/**
 * The key of an operation text and name in every per-text cache (the gate's verdicts, the
 * executor's prepared operations): computed once per request and handed along, so a repeated
 * operation pays for one digest, not one per cache.
 */
export function operationTextKey(query: string, operationName: string | undefined): string {
  return createHash('sha256')
    .update(operationName ?? '')
    .update('\0')
    .update(query)
    .digest('base64');
}

/**
 * One operation text as the stages met it on this request: its key and, when the gate had to
 * parse and validate it (the first time the text is seen), the document and the schema it is
 * valid against, so the executor preparing it does not parse and validate it again. Lives for
 * one request; nothing here is cached.
 */
export interface OperationText {
  readonly key: string;
  readonly validated?: { readonly document: DocumentNode; readonly schema: GraphQLSchema };
}
