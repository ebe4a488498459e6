import { Migration } from '@mikro-orm/migrations';

/**
 * Private keys become text so they can hold a sealed value. A migration cannot encrypt (it has
 * no key), so existing rows keep their JWK as text here and KeyRing.sealStoredKeys() encrypts
 * them at the next start with SIGNING_KEY_ENCRYPTION_KEY.
 */
export class Migration20261204000001SealSigningKeys extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table signing_keys alter column private_jwk type text using private_jwk::text');
    this.addSql('alter table signing_keys rename column private_jwk to private_key');
  }

  override async down(): Promise<void> {
    // Only plain rows can go back; sealed ones need the key (decrypt them before going down).
    this.addSql('alter table signing_keys rename column private_key to private_jwk');
    this.addSql('alter table signing_keys alter column private_jwk type jsonb using private_jwk::jsonb');
  }
}
