import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DomainError, type SessionRevoker, type Viewer } from '@booking/runtime';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { RefreshToken } from '../entities/RefreshToken';
import { Role, User } from '../entities/User';
import { UserService } from '../services/UserService';
import type { AccessTokens } from './AccessTokens';
import type { AuthConfig } from './authConfig';
import type { PasswordHasher } from './PasswordHasher';

export class AuthenticationFailed extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  constructor(
    message: string,
    /** The session this failure revoked (a reused refresh token), whose access tokens must stop too. */
    readonly revokedSession?: string,
  ) {
    super(message);
  }
}

export interface Session {
  readonly user: User;
  readonly refreshTokenId: string;
  readonly accessToken: string;
  readonly accessTokenExpiresAt: Date;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: Date;
}

export interface Registration {
  email: string;
  password: string;
  displayName: string;
  role: Role;
}

/** Extra time a deleted user's revocation is kept past the access-token lifetime (see deleteUser). */
const DELETION_REVOCATION_MARGIN_MS = 60_000;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Sign-up, sign-in and sessions. Refresh tokens rotate on every use; presenting one that was
 * already rotated means it leaked, so the whole family (every token descended from the same
 * login) is revoked.
 */
export class AuthService {
  constructor(
    private readonly em: EntityManager,
    private readonly dependencies: {
      hasher: PasswordHasher;
      accessTokens: AccessTokens;
      config: AuthConfig;
      /** Tells the routers a session ended, so its access tokens stop working at once (null: no Redis). */
      revocations: SessionRevoker | null;
    },
  ) {}

  async register(registration: Registration): Promise<Session> {
    const passwordHash = await this.dependencies.hasher.hash(registration.password);
    const user = await new UserService(this.em).create({ ...registration, passwordHash });
    return this.startSession(user, randomUUID());
  }

  async login(email: string, password: string): Promise<Session> {
    const user = await this.em.findOne(User, { email: email.trim().toLowerCase(), deletedAt: null });
    const valid = await this.dependencies.hasher.verify(user?.passwordHash, password);
    if (!user || !valid) throw new AuthenticationFailed('Invalid email or password');
    return this.startSession(user, randomUUID());
  }

  async refresh(presented: string, now: Date = new Date()): Promise<Session> {
    // Failures are returned, not thrown, from the transaction: a replay's revocation must commit.
    const outcome = await this.em.transactional(async (tx): Promise<Session | AuthenticationFailed> => {
      // The row lock makes two concurrent uses of one token count as a reuse, not two rotations.
      const token = await tx.findOne(RefreshToken, { tokenHash: sha256(presented) }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!token) return new AuthenticationFailed('Unknown refresh token');
      const user = await tx.findOneOrFail(User, { id: token.userId });
      // Checked before reuse: a deleted account's tokens were all revoked by the deletion.
      if (user.deletedAt) return new AuthenticationFailed('The account was deleted');
      if (token.revokedAt) {
        await this.revokeFamily(tx, token.familyId, now);
        return new AuthenticationFailed('Refresh token was already used; every session of this login is revoked', token.familyId);
      }
      if (token.expiresAt.getTime() <= now.getTime()) return new AuthenticationFailed('Refresh token expired');
      const session = await this.startSession(user, token.familyId, tx, now);
      token.revokedAt = now;
      token.replacedBy = session.refreshTokenId;
      return session;
    });
    if (outcome instanceof AuthenticationFailed) {
      const stolen = outcome.revokedSession;
      if (stolen) await this.revokeAccess(stolen, now);
      throw outcome;
    }
    return outcome;
  }

  /**
   * Ends the login the token belongs to (all of its rotations and its access tokens). Unknown
   * tokens are ignored. Repeating it is harmless, so a client retries if the revocation failed.
   */
  async logout(presented: string, now: Date = new Date()): Promise<void> {
    const token = await this.em.findOne(RefreshToken, { tokenHash: sha256(presented) });
    if (!token) return;
    await this.revokeFamily(this.em, token.familyId, now);
    await this.revokeAccess(token.familyId, now);
  }

  /**
   * The signed-in user deletes their own account; the password is asked again, so a token
   * left on a shared computer cannot delete the account.
   */
  async deleteAccount(viewer: Viewer | null, password: string, now: Date = new Date()): Promise<User> {
    if (!viewer) throw new AuthenticationFailed('Sign in first');
    const user = await this.em.findOne(User, { id: viewer.userId, deletedAt: null });
    if (!user || !(await this.dependencies.hasher.verify(user.passwordHash, password))) throw new AuthenticationFailed('Invalid password');
    return this.deleteUser(viewer, user.id, now);
  }

  /**
   * Deletes (anonymises) the account, ends every one of its logins and, through Redis, makes every
   * router refuse all of its access tokens at once: an identity that no longer exists can write
   * nothing anywhere. Repeating it repeats the revocations, so a client retries if one failed.
   */
  async deleteUser(viewer: Viewer | null, userId: string, now: Date = new Date()): Promise<User> {
    const user = await this.em.transactional(async (tx) => {
      const deleted = await new UserService(tx).delete(viewer, userId, now);
      await tx.nativeUpdate(RefreshToken, { userId, revokedAt: null }, { revokedAt: now });
      return deleted;
    });
    // Timed from after the commit, with a margin: a login or refresh that read the user just before
    // the deletion committed may still sign a token a moment later (after its password check).
    const lifetimeMs = this.dependencies.config.accessTokenTtlSeconds * 1000 + DELETION_REVOCATION_MARGIN_MS;
    await this.dependencies.revocations?.revokeUser(userId, lifetimeMs, Math.max(Date.now(), now.getTime()));
    return user;
  }

  /** Until the newest access token of the session has expired, the routers refuse all of them. */
  private async revokeAccess(sessionId: string, now: Date): Promise<void> {
    await this.dependencies.revocations?.revoke(sessionId, this.dependencies.config.accessTokenTtlSeconds * 1000, now.getTime());
  }

  private async revokeFamily(em: EntityManager, familyId: string, now: Date): Promise<void> {
    await em.nativeUpdate(RefreshToken, { familyId, revokedAt: null }, { revokedAt: now });
  }

  private async startSession(user: User, familyId: string, em: EntityManager = this.em, now: Date = new Date()): Promise<Session> {
    const refreshToken = randomBytes(32).toString('base64url');
    const refreshTokenExpiresAt = new Date(now.getTime() + this.dependencies.config.refreshTokenTtlSeconds * 1000);
    const refreshTokenId = randomUUID();
    em.create(RefreshToken, {
      id: refreshTokenId,
      userId: user.id,
      familyId,
      tokenHash: sha256(refreshToken),
      expiresAt: refreshTokenExpiresAt,
      createdAt: now,
    });
    await em.flush();
    const access = await this.dependencies.accessTokens.issue(user, familyId, now);
    return {
      user,
      refreshTokenId,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt,
    };
  }
}
