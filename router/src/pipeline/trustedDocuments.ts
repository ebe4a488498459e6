import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Kind, parse, print, visit, type DefinitionNode, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';

/** Apollo's persisted query manifest (what `generate-persisted-query-manifest` writes and GraphOS accepts). */
export interface PersistedQueryManifest {
  readonly format: 'apollo-persisted-query-manifest';
  readonly version: 1;
  readonly operations: readonly ManifestOperation[];
}

export interface ManifestOperation {
  /** sha256 (hex) of `body`: what a client sends as `extensions.persistedQuery.sha256Hash`. */
  readonly id: string;
  readonly name: string;
  readonly type: 'query' | 'mutation' | 'subscription';
  readonly body: string;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The fragments an operation uses, directly or through other fragments. */
function usedFragments(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const pending: DefinitionNode[] = [operation];
  while (pending.length > 0) {
    const next = pending.pop() as DefinitionNode;
    visit(next, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        const fragment = fragments.get(name);
        if (!fragment) throw new Error(`fragment ${name} is used by ${operation.name?.value ?? 'an operation'} but defined nowhere`);
        if (!used.has(name)) {
          used.set(name, fragment);
          pending.push(fragment);
        }
      },
    });
  }
  return [...used.values()].sort((a, b) => a.name.value.localeCompare(b.name.value));
}

/**
 * The manifest of a frontend team's operations: every `.graphql`/`.gql` file under `folder`
 * (fragments may live in other files), one entry per named operation with the fragments it
 * uses, printed by graphql-js so formatting does not change ids. Sorted by name, so the same
 * operations always give the same file.
 */
export function buildManifest(folder: string): PersistedQueryManifest {
  const files = listGraphQLFiles(folder);
  const definitions: { readonly file: string; readonly definition: DefinitionNode }[] = [];
  for (const file of files) {
    let document: DocumentNode;
    try {
      document = parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`${relative(folder, file)}: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const definition of document.definitions) definitions.push({ file, definition });
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const { file, definition } of definitions) {
    if (definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
    if (fragments.has(definition.name.value)) throw new Error(`${relative(folder, file)}: fragment ${definition.name.value} is defined twice`);
    fragments.set(definition.name.value, definition);
  }
  const names = new Set<string>();
  const operations: ManifestOperation[] = [];
  for (const { file, definition } of definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const name = definition.name?.value;
    if (!name) throw new Error(`${relative(folder, file)}: every operation needs a name (it identifies the operation in the manifest and in logs)`);
    if (names.has(name)) throw new Error(`${relative(folder, file)}: operation ${name} is defined twice`);
    names.add(name);
    const body = print({ kind: Kind.DOCUMENT, definitions: [definition, ...usedFragments(definition, fragments)] });
    operations.push({ id: sha256Hex(body), name, type: definition.operation, body });
  }
  operations.sort((a, b) => a.name.localeCompare(b.name));
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}

function listGraphQLFiles(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder).sort()) {
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) found.push(...listGraphQLFiles(path));
    else if (/\.(graphql|gql)$/.test(entry)) found.push(path);
  }
  return found;
}

/** A manifest read for serving: bodies by id, and the ids of the normalised texts. */
export class TrustedDocuments {
  private readonly bodies = new Map<string, string>();
  /** sha256 of each body as graphql-js prints it, so a listed text sent reformatted still matches. */
  private readonly normalisedIds = new Set<string>();
  /** The listed operations' names (their metrics label values: see RouterMetrics). */
  readonly operationNames = new Set<string>();

  constructor(manifest: PersistedQueryManifest) {
    if (manifest.format !== 'apollo-persisted-query-manifest' || manifest.version !== 1) {
      throw new Error('not an Apollo persisted query manifest (format "apollo-persisted-query-manifest", version 1)');
    }
    for (const operation of manifest.operations) {
      this.bodies.set(operation.id, operation.body);
      this.operationNames.add(operation.name);
      this.normalisedIds.add(sha256Hex(print(parse(operation.body, { noLocation: true }))));
    }
  }

  static read(path: string): TrustedDocuments {
    return new TrustedDocuments(JSON.parse(readFileSync(path, 'utf8')) as PersistedQueryManifest);
  }

  get size(): number {
    return this.bodies.size;
  }

  body(id: string): string | undefined {
    return this.bodies.get(id);
  }

  /** Whether a text sent in full is a listed operation: byte for byte, or once printed alike. */
  lists(query: string, document: () => DocumentNode | undefined): boolean {
    if (this.bodies.has(sha256Hex(query))) return true;
    const parsed = document();
    return parsed !== undefined && this.normalisedIds.has(sha256Hex(print(parsed)));
  }
}
