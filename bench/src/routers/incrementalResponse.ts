/**
 * Reads a `multipart/mixed` incremental response (`@defer`, deferSpec=20220824, the format
 * Apollo Client reads and Apollo Router, Hive Gateway and our router write) into the one result
 * it amounts to, so a router that defers can be checked against the plain answer of a router
 * that does not. Only what verification needs: parts are split on the boundary the
 * Content-Type names, the first part's `data` is the base, and each `incremental` entry's `data`
 * is merged at its `path` (its `items`, for `@stream`, appended to the list there).
 */

export interface MergedResponse {
  readonly data?: unknown;
  readonly errors?: readonly unknown[];
  /** The parts read (the first one included). */
  readonly parts: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface IncrementalEntry {
  readonly data?: Json;
  readonly items?: Json[];
  readonly path?: (string | number)[];
  readonly errors?: unknown[];
}

interface Part {
  readonly data?: Json;
  readonly errors?: unknown[];
  readonly incremental?: IncrementalEntry[];
}

export function boundaryOf(contentType: string): string | null {
  if (!/^multipart\/mixed/i.test(contentType)) return null;
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2] ?? null) : null;
}

/** The JSON bodies of a multipart message, in order (the preamble and the closing delimiter dropped). */
function partBodies(text: string, boundary: string): string[] {
  const bodies: string[] = [];
  for (const chunk of text.split(`--${boundary}`)) {
    const headerEnd = chunk.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const body = chunk.slice(headerEnd + 4).trim();
    if (body) bodies.push(body);
  }
  return bodies;
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Copies `source`'s fields into `target`, recursing where both hold an object or a list. */
function deepMerge(target: { [key: string]: Json }, source: { [key: string]: Json }): void {
  for (const [key, incoming] of Object.entries(source)) {
    const existing = target[key];
    if (isObject(existing) && isObject(incoming)) deepMerge(existing, incoming);
    else if (Array.isArray(existing) && Array.isArray(incoming)) {
      incoming.forEach((item, index) => {
        const current = existing[index];
        if (isObject(current) && isObject(item)) deepMerge(current, item);
        else existing[index] = item;
      });
    } else target[key] = incoming;
  }
}

function valueAt(root: Json | undefined, path: readonly (string | number)[]): Json | undefined {
  let value = root;
  for (const step of path) {
    if (typeof step === 'number' ? !Array.isArray(value) : !isObject(value)) return undefined;
    value = (value as Record<string | number, Json>)[step];
  }
  return value;
}

export function mergeIncremental(text: string, contentType: string): MergedResponse {
  const boundary = boundaryOf(contentType);
  if (!boundary) return { errors: [`not a multipart response: ${contentType}`], parts: 0 };
  const parts = partBodies(text, boundary).map((body) => JSON.parse(body) as Part);
  const [first, ...rest] = parts;
  if (!first) return { errors: ['an incremental response without parts'], parts: 0 };
  const data = first.data;
  const errors: unknown[] = [...(first.errors ?? [])];
  for (const part of rest) {
    errors.push(...(part.errors ?? []));
    for (const entry of part.incremental ?? []) {
      errors.push(...(entry.errors ?? []));
      const target = valueAt(data, entry.path ?? []);
      if (entry.items && Array.isArray(target)) target.push(...entry.items);
      else if (isObject(entry.data) && isObject(target)) deepMerge(target, entry.data);
      else if (entry.data !== undefined) errors.push(`incremental data at ${JSON.stringify(entry.path)} has nowhere to go`);
    }
  }
  return { ...(data === undefined ? {} : { data }), ...(errors.length > 0 ? { errors } : {}), parts: parts.length };
}
