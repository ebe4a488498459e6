import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';

/** The variable holding the key that encrypts signing private keys at rest. */
export const ENCRYPTION_KEY_VARIABLE = 'SIGNING_KEY_ENCRYPTION_KEY';

/** Version of the sealed format; a later one can change the cipher and still read this one. */
const FORMAT = 'v1';
const IV_BYTES = 12;

/** 32 bytes as 64 hex characters, or as base64 (`openssl rand -hex 32` / `-base64 32`). */
export function parseEncryptionKey(raw: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(raw)) return Buffer.from(raw, 'base64');
  throw new Error('must be 32 random bytes as 64 hex characters or base64 (openssl rand -hex 32)');
}

/** A stored private key could not be opened: the key is wrong, or the value was altered. */
export class SigningKeyDecryptionError extends Error {
  constructor(kid: string, reason: string) {
    super(`cannot decrypt signing key ${kid} with ${ENCRYPTION_KEY_VARIABLE}: ${reason}`);
    this.name = 'SigningKeyDecryptionError';
  }
}

/**
 * Seals signing private keys for the database with AES-256-GCM. A sealed value reads
 * `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url): the key id is a fingerprint of the
 * encryption key, so a wrong key is named as such and a later rotation can tell which key
 * sealed a row. The signing key's `kid` is authenticated data, so a sealed value copied onto
 * another row does not open. Without an encryption key (development only) values are the plain
 * JWK, as before; `isSealed` tells them apart so KeyRing can seal those it finds.
 */
export class PrivateKeyVault {
  readonly keyId: string | null;

  constructor(private readonly key: Buffer | null) {
    this.keyId = key ? createHash('sha256').update('booking-supergraph signing-key-encryption').update(key).digest('hex').slice(0, 12) : null;
  }

  get encrypts(): boolean {
    return this.key !== null;
  }

  static isSealed(stored: string): boolean {
    return stored.startsWith(`${FORMAT}.`);
  }

  seal(kid: string, jwk: JWK): string {
    const plain = JSON.stringify(jwk);
    if (!this.key || !this.keyId) return plain;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(kid, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [FORMAT, this.keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  open(kid: string, stored: string): JWK {
    if (!PrivateKeyVault.isSealed(stored)) return JSON.parse(stored) as JWK;
    if (!this.key) throw new SigningKeyDecryptionError(kid, 'the variable is not set but the key ring is encrypted');
    const [, keyId, iv, tag, ciphertext] = stored.split('.');
    if (!keyId || !iv || !tag || !ciphertext) throw new SigningKeyDecryptionError(kid, 'the stored value is malformed');
    if (keyId !== this.keyId) throw new SigningKeyDecryptionError(kid, `it was sealed with key ${keyId}, the variable holds key ${this.keyId}`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(kid, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as JWK;
    } catch {
      throw new SigningKeyDecryptionError(kid, 'authentication failed (wrong key or altered value)');
    }
  }
}
