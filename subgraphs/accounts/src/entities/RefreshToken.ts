import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** A refresh token, stored only as its SHA-256; the token itself is shown to the client once. */
@Entity({ tableName: 'refresh_tokens' })
export class RefreshToken {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'uuid' })
  familyId!: string;

  @Property({ type: 'text', unique: 'refresh_tokens_token_hash_key' })
  tokenHash!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'uuid', nullable: true })
  replacedBy?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
