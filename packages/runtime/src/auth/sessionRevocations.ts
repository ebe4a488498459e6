import { Redis } from 'ioredis';
import type { Logger } from '../logger';
import { closeRedis } from '../redis/closeRedis';

/**
 * Revoked sessions (logins: an access token's `sid` claim) and revoked users (deleted accounts:
 * its `sub` claim), shared through Redis. accounts writes `<prefix>revoked:sid:<session id>` or
 * `<prefix>revoked:user:<user id>` with the time the revocation may be forgotten (every access
 * token issued before it has expired by then) as value and TTL, and publishes `<kind>:<id> <until>`
 * on `<prefix>revoked`. Every router keeps both sets in memory, so checking a token costs two map
 * lookups, never a Redis round trip per request.
 */
export type RevocationKind = 'sid' | 'user';
const ENTRY = /^(sid|user):./;

function keyPrefixOf(prefix: string): string {
  return `${prefix}revoked:`;
}

function channelOf(prefix: string): string {
  return `${prefix}revoked`;
}

/** accounts' side: records a revocation and tells every router at once. */
export class SessionRevoker {
  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  static connect(url: string, prefix: string): SessionRevoker {
    const redis = new Redis(url, { maxRetriesPerRequest: 2 });
    redis.on('error', () => undefined);
    return new SessionRevoker(redis, prefix);
  }

  /** Revokes `sessionId` for `lifetimeMs` (the longest an access token of it may still live). */
  revoke(sessionId: string, lifetimeMs: number, now: number = Date.now()): Promise<void> {
    return this.record('sid', sessionId, lifetimeMs, now);
  }

  /** Revokes every access token of `userId` (a deleted account), whatever its session. */
  revokeUser(userId: string, lifetimeMs: number, now: number = Date.now()): Promise<void> {
    return this.record('user', userId, lifetimeMs, now);
  }

  private async record(kind: RevocationKind, id: string, lifetimeMs: number, now: number): Promise<void> {
    const until = now + lifetimeMs;
    const entry = `${kind}:${id}`;
    const results = await this.redis
      .multi()
      .set(`${keyPrefixOf(this.prefix)}${entry}`, String(until), 'PX', lifetimeMs)
      .publish(channelOf(this.prefix), `${entry} ${until}`)
      .exec();
    const failed = results?.find(([error]) => error !== null)?.[0];
    if (!results || failed) throw failed ?? new Error('the session revocation was not recorded');
  }

  close(): Promise<void> {
    return closeRedis(this.redis);
  }
}

/**
 * The router's in-memory copy of revoked sessions: loaded with SCAN once subscribed to the
 * channel (so nothing published in between is missed), kept current by the channel, and loaded
 * again after every reconnect (what was published while disconnected is in the keys). Between a
 * lost connection and its reconnect the router works from the last known set.
 */
export class RevokedSessions {
  /** `sid:<session id>` / `user:<user id>` → when its revocation may be forgotten (epoch ms). */
  private readonly revoked = new Map<string, number>();
  /** `sid:<session id>` / `user:<user id>` → what to do when it is revoked (close its sockets). */
  private readonly watchers = new Map<string, Set<() => void>>();
  private readonly pruning: NodeJS.Timeout;
  /** Subscribed to the channel and loaded since the last (re)connect: the set is current. */
  private synced = false;

  private constructor(
    private readonly subscriber: Redis,
    private readonly reader: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    this.pruning = setInterval(() => this.prune(Date.now()), 60_000);
    this.pruning.unref();
  }

  /** Resolves once subscribed and loaded; rejects if Redis cannot be reached within `timeoutMs`. */
  static async connect(url: string, prefix: string, logger: Logger, timeoutMs = 10_000): Promise<RevokedSessions> {
    const subscriber = new Redis(url, { maxRetriesPerRequest: null });
    const reader = new Redis(url, { maxRetriesPerRequest: 2 });
    const sessions = new RevokedSessions(subscriber, reader, prefix, logger);
    reader.on('error', () => undefined);
    subscriber.on('error', (error: Error) => logger.warn({ err: error }, 'revoked-session channel: Redis connection problem'));
    subscriber.on('message', (_channel: string, message: string) => sessions.record(message));
    subscriber.on('close', () => {
      if (sessions.synced) logger.warn('revoked-session channel lost: working from the last known set until Redis is back');
      sessions.synced = false;
    });
    // 'ready' comes on the first connection and after every reconnect (ioredis resubscribes).
    const loaded = new Promise<void>((resolve, reject) => {
      subscriber.on('ready', () => {
        subscriber.subscribe(channelOf(prefix)).then(() => sessions.load()).then(() => {
          sessions.synced = true;
          resolve();
        }, (error: unknown) => {
          logger.error({ err: error }, 'revoked sessions could not be loaded');
          reject(error);
        });
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`revoked sessions: Redis not reachable within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([loaded, timeout]);
    } catch (error) {
      await sessions.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return sessions;
  }

  /** Whether the session was revoked (and its tokens may still be unexpired). */
  has(sessionId: string, now: number = Date.now()): boolean {
    return this.holds(`sid:${sessionId}`, now);
  }

  /** Whether the user was revoked (deleted), so none of their access tokens may be used. */
  hasUser(userId: string, now: number = Date.now()): boolean {
    return this.holds(`user:${userId}`, now);
  }

  /** Calls `listener` once if `sessionId` is revoked from now on; returns the unsubscribe. */
  onRevoked(sessionId: string, listener: () => void): () => void {
    return this.watch(`sid:${sessionId}`, listener);
  }

  /** Calls `listener` once if `userId` is revoked (deleted) from now on; returns the unsubscribe. */
  onUserRevoked(userId: string, listener: () => void): () => void {
    return this.watch(`user:${userId}`, listener);
  }

  /**
   * Calls `listener` once when the token's session (`sid`, if any) or its user (`sub`) is revoked
   * from now on, whichever comes first; returns the unsubscribe.
   */
  onAccessRevoked(sessionId: string | null, userId: string, listener: () => void): () => void {
    let fired = false;
    const once = () => {
      if (fired) return;
      fired = true;
      unwatch();
      listener();
    };
    const unwatchSession = sessionId ? this.onRevoked(sessionId, once) : undefined;
    const unwatchUser = this.onUserRevoked(userId, once);
    const unwatch = () => {
      unwatchSession?.();
      unwatchUser();
    };
    return unwatch;
  }

  private holds(entry: string, now: number): boolean {
    const until = this.revoked.get(entry);
    if (until === undefined) return false;
    if (until > now) return true;
    this.revoked.delete(entry);
    return false;
  }

  private watch(entry: string, listener: () => void): () => void {
    let listeners = this.watchers.get(entry);
    if (!listeners) this.watchers.set(entry, (listeners = new Set()));
    const watching = listeners;
    watching.add(listener);
    return () => {
      watching.delete(listener);
      if (watching.size === 0 && this.watchers.get(entry) === watching) this.watchers.delete(entry);
    };
  }

  /**
   * Whether the set is current: subscribed to the channel and reloaded since the last connect.
   * While false the router works from the last known set (see the router's /ready).
   */
  get current(): boolean {
    return this.synced;
  }

  get size(): number {
    return this.revoked.size;
  }

  async close(): Promise<void> {
    this.synced = false; // a shutdown is no lost channel worth a warning
    clearInterval(this.pruning);
    await Promise.all([closeRedis(this.subscriber), closeRedis(this.reader)]);
  }

  private record(message: string): void {
    const [entry, until] = message.split(' ');
    const expiresAt = Number(until);
    if (!entry || !ENTRY.test(entry) || !Number.isFinite(expiresAt)) {
      this.logger.warn({ message }, 'ignored a malformed session revocation');
      return;
    }
    this.add(entry, expiresAt);
  }

  private add(sessionId: string, until: number): void {
    const known = this.revoked.get(sessionId);
    this.revoked.set(sessionId, Math.max(known ?? 0, until));
    const listeners = known === undefined ? this.watchers.get(sessionId) : undefined;
    if (listeners) {
      this.watchers.delete(sessionId);
      for (const listener of listeners) listener();
    }
  }

  private async load(): Promise<void> {
    const keyPrefix = keyPrefixOf(this.prefix);
    let cursor = '0';
    do {
      const [next, keys] = await this.reader.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length === 0) continue;
      const values = await this.reader.mget(...keys);
      keys.forEach((key, index) => {
        const until = Number(values[index]);
        const entry = key.slice(keyPrefix.length);
        if (ENTRY.test(entry) && Number.isFinite(until)) this.add(entry, until);
      });
    } while (cursor !== '0');
  }

  private prune(now: number): void {
    for (const [sessionId, until] of this.revoked) if (until <= now) this.revoked.delete(sessionId);
  }
}
