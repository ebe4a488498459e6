import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000002AddAuthentication extends Migration {
  override async up(): Promise<void> {
    // Null for accounts created by an admin that have not set a password yet.
    this.addSql('alter table users add column password_hash text');
    this.addSql(`
      create table refresh_tokens (
        id uuid primary key,
        user_id uuid not null references users (id) on delete cascade,
        -- Every rotation stays in one family, so reuse of an old token revokes all of them.
        family_id uuid not null,
        token_hash text not null,
        expires_at timestamptz not null,
        revoked_at timestamptz,
        replaced_by uuid,
        created_at timestamptz not null default now(),
        constraint refresh_tokens_token_hash_key unique (token_hash)
      )`);
    this.addSql('create index refresh_tokens_family_id_idx on refresh_tokens (family_id)');
    this.addSql('create index refresh_tokens_user_id_idx on refresh_tokens (user_id)');
    this.addSql(`
      create table signing_keys (
        kid text primary key,
        algorithm text not null,
        public_jwk jsonb not null,
        private_jwk jsonb not null,
        created_at timestamptz not null default now(),
        -- After retired_at the key signs nothing; it is published until expires_at so tokens it
        -- signed still verify.
        retired_at timestamptz,
        expires_at timestamptz
      )`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table signing_keys');
    this.addSql('drop table refresh_tokens');
    this.addSql('alter table users drop column password_hash');
  }
}
