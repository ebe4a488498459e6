import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { User } from '../entities/User';
import type { AuthConfig } from './authConfig';
import { SIGNING_ALGORITHM, type KeyRing } from './KeyRing';
import { ROLE_SCOPES } from './scopes';

export interface IssuedAccessToken {
  readonly token: string;
  readonly expiresAt: Date;
}

/**
 * Short-lived JWTs: `sub` is the user id, `scope` the role's scopes (space-separated), `sid` the
 * session (login) they belong to, which the router refuses once the session is revoked.
 */
export class AccessTokens {
  constructor(
    private readonly keyRing: KeyRing,
    private readonly config: AuthConfig,
  ) {}

  async issue(user: User, sessionId: string, now: Date = new Date()): Promise<IssuedAccessToken> {
    const key = await this.keyRing.activeKey();
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = issuedAt + this.config.accessTokenTtlSeconds;
    const token = await new SignJWT({ role: user.role, scope: ROLE_SCOPES[user.role].join(' '), sid: sessionId })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: 'at+jwt' })
      .setSubject(user.id)
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }
}
