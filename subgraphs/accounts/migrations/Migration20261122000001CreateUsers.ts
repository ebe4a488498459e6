import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000001CreateUsers extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table users (
        id uuid primary key,
        email text not null,
        display_name text not null,
        role text not null check (role in ('GUEST', 'HOST', 'ADMIN')),
        created_at timestamptz not null default now(),
        constraint users_email_key unique (email)
      )`);
    // Keyset pagination of `users` walks this index.
    this.addSql('create index users_created_at_id_idx on users (created_at, id)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table users');
  }
}
