import type { HttpRefusal, Logger } from '@booking/runtime/dist/router';
import type Redis from 'ioredis';
import { ByteBoundedCache } from '../byteBoundedCache';
import { sha256Hex, type TrustedDocuments } from './trustedDocuments';

/**
 * - off: only full texts; a persisted-query extension is refused (PERSISTED_QUERY_NOT_SUPPORTED);
 * - apq: Automatic Persisted Queries (hash first, then hash and text once), any operation;
 * - safelist: only the manifest's operations, by id or by their text;
 * - safelist-log: any operation runs, those not in the manifest are logged (to roll out safelist).
 */
export type PersistedQueryMode = 'off' | 'apq' | 'safelist' | 'safelist-log';

/** Where APQ texts are kept: Redis shared by the routers, behind a bounded in-process cache. */
export class AutomaticPersistedQueries {
  private readonly local: ByteBoundedCache<string>;

  constructor(
    private readonly redis: Redis | null,
    private readonly keyPrefix: string,
    private readonly ttlSeconds: number,
    localBytes: number,
    private readonly logger: Logger,
  ) {
    this.local = new ByteBoundedCache(localBytes, 'apq');
  }

  async get(hash: string): Promise<string | undefined> {
    const known = this.local.get(hash);
    if (known !== undefined) return known;
    if (!this.redis) return undefined;
    try {
      const stored = await this.redis.get(this.key(hash));
      // What Redis holds is checked like what a client sends: a tampered entry is not run.
      if (stored === null || sha256Hex(stored) !== hash) return undefined;
      this.local.set(hash, stored, stored.length * 2 + 128);
      return stored;
    } catch (error) {
      this.logger.warn({ err: error }, 'persisted query store (Redis) unavailable: the client will send the full text');
      return undefined;
    }
  }

  async register(hash: string, query: string): Promise<void> {
    this.local.set(hash, query, query.length * 2 + 128);
    if (!this.redis) return;
    try {
      await this.redis.set(this.key(hash), query, 'EX', this.ttlSeconds);
    } catch (error) {
      this.logger.warn({ err: error }, 'persisted query not stored in Redis: other routers will ask for the full text');
    }
  }

  private key(hash: string): string {
    return `${this.keyPrefix}apq:${hash}`;
  }
}

/** The fields of a GraphQL request this stage reads and may fill in. */
export interface PersistableRequest {
  readonly query?: string | null;
  readonly extensions?: Readonly<Record<string, unknown>> | null;
}

export type PersistedQueryOutcome =
  | {
      readonly kind: 'text';
      readonly query: string;
      readonly listed: boolean | 'unchecked';
      /** An APQ registration: stored once the text has validated (`register`), so garbage is never kept. */
      readonly registerAs?: string;
    }
  | { readonly kind: 'refused'; readonly refusal: HttpRefusal };

/** As Apollo Server answers them: 200 (the client is expected to retry), never cached. */
const RETRY_WITH_TEXT = { 'cache-control': 'private, no-cache, must-revalidate' };

const refusal = (status: number, code: string, message: string, headers?: Record<string, string>): PersistedQueryOutcome => ({
  kind: 'refused',
  refusal: { status, code, message, headers },
});

function persistedQueryOf(extensions: PersistableRequest['extensions']): { version?: unknown; sha256Hash?: unknown } | undefined {
  const value = extensions?.persistedQuery;
  return typeof value === 'object' && value !== null ? (value as { version?: unknown; sha256Hash?: unknown }) : undefined;
}

/**
 * The persisted-query stage: turns what the client sent (a text, an APQ hash, a trusted
 * document id) into the text to run, or refuses it with the code the client's link expects.
 * Whether a full text is on the safelist is decided later, on the parsed document (`listed`
 * 'unchecked'), so a reformatted listed operation still matches.
 */
export class PersistedQueries {
  constructor(
    readonly mode: PersistedQueryMode,
    private readonly apq: AutomaticPersistedQueries | null,
    readonly trusted: TrustedDocuments | null,
  ) {
    if ((mode === 'safelist' || mode === 'safelist-log') && !trusted) {
      throw new Error(`PERSISTED_QUERIES=${mode} needs PERSISTED_QUERIES_MANIFEST (the manifest of allowed operations)`);
    }
  }

  async resolve(request: PersistableRequest): Promise<PersistedQueryOutcome> {
    const persisted = persistedQueryOf(request.extensions);
    const query = typeof request.query === 'string' && request.query.length > 0 ? request.query : undefined;
    if (!persisted) {
      if (query === undefined) return refusal(400, 'BAD_REQUEST', 'GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.');
      return { kind: 'text', query, listed: this.mode === 'off' || this.mode === 'apq' ? true : 'unchecked' };
    }
    if (this.mode === 'off') return refusal(200, 'PERSISTED_QUERY_NOT_SUPPORTED', 'PersistedQueryNotSupported', RETRY_WITH_TEXT);
    if (persisted.version !== 1) return refusal(400, 'BAD_REQUEST', 'Unsupported persisted query version: only version 1 is.');
    const hash = persisted.sha256Hash;
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/i.test(hash)) {
      return refusal(400, 'BAD_REQUEST', '`extensions.persistedQuery.sha256Hash` must be a SHA-256 hash in hexadecimal.');
    }
    const id = hash.toLowerCase();
    if (this.mode === 'safelist' || this.mode === 'safelist-log') {
      const body = this.trusted?.body(id);
      if (body !== undefined) return { kind: 'text', query: body, listed: true };
      if (query !== undefined && sha256Hex(query) !== id) return refusal(400, 'PERSISTED_QUERY_HASH_MISMATCH', 'The provided sha256Hash does not match the query.');
      if (this.mode === 'safelist') return refusal(400, 'PERSISTED_QUERY_NOT_IN_LIST', `Operation ${id} is not in the persisted query list.`);
      // safelist-log: an unknown id with its text still runs (and is logged as unlisted).
      if (query !== undefined) return { kind: 'text', query, listed: 'unchecked' };
      return refusal(200, 'PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound', RETRY_WITH_TEXT);
    }
    // apq
    if (query === undefined) {
      const stored = await this.apq?.get(id);
      return stored !== undefined ? { kind: 'text', query: stored, listed: true } : refusal(200, 'PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound', RETRY_WITH_TEXT);
    }
    if (sha256Hex(query) !== id) return refusal(400, 'PERSISTED_QUERY_HASH_MISMATCH', 'The provided sha256Hash does not match the query.');
    return { kind: 'text', query, listed: true, registerAs: id };
  }

  /** Keeps an APQ text that validated, for this router (at once) and the others (through Redis). */
  async register(id: string, query: string): Promise<void> {
    await this.apq?.register(id, query);
  }
}
