import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The SIGNING_KEY_ENCRYPTION_KEY of `npm start` when none is given: generated once and kept
 * beside the data it protects (owner-only), so a restart can still open the signing keys that
 * accounts stored encrypted. Deleting .data/ deletes both.
 */
export function persistedEncryptionKey(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
