import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { exportJWK, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';
import { SigningKey } from '../entities/SigningKey';
import { PrivateKeyVault } from './PrivateKeyVault';

export const SIGNING_ALGORITHM = 'ES256';

export interface ActiveKey {
  readonly kid: string;
  readonly privateKey: KeyLike | Uint8Array;
}

/**
 * The access-token signing keys, kept in accounts' database so every instance signs with the
 * same key and publishes the same set. Rotation: a new key takes over signing; the previous
 * one is retired but stays published until every token it signed has expired. Private keys are
 * stored sealed by the vault (encrypted at rest when SIGNING_KEY_ENCRYPTION_KEY is set).
 */
export class KeyRing {
  private cached: { key: ActiveKey; loadedAt: number } | undefined;

  constructor(
    private readonly em: EntityManager,
    private readonly options: { rotationSeconds: number; accessTokenTtlSeconds: number; reloadMs?: number },
    private readonly vault: PrivateKeyVault = new PrivateKeyVault(null),
  ) {}

  /**
   * Run at start, before anything signs: encrypts private keys stored in clear (rows written
   * before encryption at rest, or while no key was set) and opens every sealed one, so a wrong
   * or missing SIGNING_KEY_ENCRYPTION_KEY stops the start with a message naming it instead of
   * failing the first login. Returns how many rows it sealed. Safe on several instances at once.
   */
  async sealStoredKeys(): Promise<number> {
    let sealed = 0;
    await this.em.fork().transactional(async (tx) => {
      await tx.execute('lock table signing_keys in share row exclusive mode');
      for (const row of await tx.find(SigningKey, {})) {
        const jwk = this.vault.open(row.kid, row.privateKey);
        if (this.vault.encrypts && !PrivateKeyVault.isSealed(row.privateKey)) {
          row.privateKey = this.vault.seal(row.kid, jwk);
          sealed += 1;
        }
      }
    });
    return sealed;
  }

  /** Creates the first key, or rotates one that has aged out; safe on several instances at once. */
  async ensureCurrent(now: Date = new Date()): Promise<void> {
    const active = await this.latestActive();
    if (!active || now.getTime() - active.createdAt.getTime() > this.options.rotationSeconds * 1000) {
      await this.rotate(now);
    }
  }

  async rotate(now: Date = new Date()): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
    const kid = randomUUID();
    const em = this.em.fork();
    await em.transactional(async (tx) => {
      // Serialises rotations across instances: the table lock makes concurrent rotators queue.
      await tx.execute('lock table signing_keys in share row exclusive mode');
      // The margin covers instances still signing with their cached key (at most 60 s).
      const publishedUntil = new Date(now.getTime() + this.options.accessTokenTtlSeconds * 1000 + 120_000);
      await tx.nativeUpdate(SigningKey, { retiredAt: null }, { retiredAt: now, expiresAt: publishedUntil });
      tx.create(SigningKey, {
        kid,
        algorithm: SIGNING_ALGORITHM,
        publicJwk: { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALGORITHM, use: 'sig' },
        privateKey: this.vault.seal(kid, { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALGORITHM }),
        createdAt: now,
      });
    });
    this.cached = undefined;
    return kid;
  }

  /** The key to sign with; re-read now and then so a rotation by another instance is picked up. */
  async activeKey(): Promise<ActiveKey> {
    const reloadMs = this.options.reloadMs ?? 30_000;
    if (this.cached && Date.now() - this.cached.loadedAt < reloadMs) return this.cached.key;
    const row = await this.latestActive();
    if (!row) throw new Error('no active signing key: KeyRing.ensureCurrent() was not run');
    const key = { kid: row.kid, privateKey: await importJWK(this.vault.open(row.kid, row.privateKey), SIGNING_ALGORITHM) };
    this.cached = { key, loadedAt: Date.now() };
    return key;
  }

  /** Public keys that may still have valid tokens: the active one and retired, unexpired ones. */
  async publicJwks(now: Date = new Date()): Promise<{ keys: JWK[] }> {
    const rows = await this.em.fork().find(
      SigningKey,
      { $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] },
      { orderBy: { createdAt: 'desc' } },
    );
    return { keys: rows.map((row) => row.publicJwk) };
  }

  private latestActive(): Promise<SigningKey | null> {
    return this.em.fork().findOne(SigningKey, { retiredAt: null }, { orderBy: { createdAt: 'desc' } });
  }
}
