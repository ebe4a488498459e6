import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { JWK } from 'jose';

/** One key pair of the access-token key ring (see KeyRing for its life cycle). */
@Entity({ tableName: 'signing_keys' })
export class SigningKey {
  @PrimaryKey({ type: 'text' })
  kid!: string;

  @Property({ type: 'text' })
  algorithm!: string;

  @Property({ type: 'json' })
  publicJwk!: JWK;

  /** Sealed by PrivateKeyVault (AES-256-GCM); the plain JWK only where no encryption key is set. */
  @Property({ type: 'text' })
  privateKey!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  retiredAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  expiresAt?: Date | null;
}
