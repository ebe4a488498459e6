import type { DocumentStore } from '@apollo/server';
import type { DocumentNode } from 'graphql';
import { ByteBoundedCache } from './byteBoundedCache';

/**
 * Apollo Server's cache of parsed and validated documents (the gateway path), bounded by the
 * bytes they retain. Its default counts a document by its JSON, which leaves out the query
 * text every parsed document keeps through its locations: 1 MB of comments counted as a few
 * hundred bytes, so thousands of them fitted in its "30 MiB".
 */
export function boundedDocumentStore(maxBytes: number): DocumentStore {
  const cache = new ByteBoundedCache<DocumentNode>(maxBytes, 'document');
  return {
    get: async (key) => cache.get(key),
    set: async (key, document) => cache.set(key, document, retainedBytes(document)),
    delete: async (key) => cache.delete(key),
  };
}

/** The query text (two bytes a character at worst) and the nodes (about twice their JSON). */
function retainedBytes(document: DocumentNode): number {
  return (document.loc?.source.body.length ?? 0) * 2 + JSON.stringify(document).length * 2;
}
