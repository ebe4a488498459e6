import { randomUUID } from 'node:crypto';
import { Conflict, Forbidden, findPage, hasScope, isUuid, NotFound, recordEvent, type Viewer, PG_UNIQUE_VIOLATION, postgresErrorCode, type ConnectionArgs, type Connection } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Role, User } from '../entities/User';

export interface NewUser {
  email: string;
  displayName: string;
  role: Role;
  passwordHash?: string | null;
}

export class EmailTaken extends Conflict {
  constructor(email: string) {
    super('EMAIL_TAKEN', `An account with email ${email} already exists`, { field: 'email' });
  }
}

/** What a deleted account is shown as: the person is gone, the id stays for bookings and invoices. */
export const DELETED_DISPLAY_NAME = 'Deleted user';

/** A placeholder that is no address (`.invalid` is reserved), unique per user, so the e-mail is freed. */
function erasedEmail(userId: string): string {
  return `deleted-${userId}@deleted.invalid`;
}

export class UserService {
  constructor(private readonly em: EntityManager) {}

  list(args: ConnectionArgs): Promise<Connection<User>> {
    return findPage(this.em, User, {}, args);
  }

  /**
   * Deletes an account: the signed-in user themself, or any user by an admin. A soft delete with
   * anonymisation, not a DELETE: bookings and invoices in other subgraphs keep the user id (a
   * history that must stay), and a tombstone lets `Booking.guest` still resolve, as "Deleted
   * user", instead of failing. The e-mail, display name and password are erased, so the person's
   * data is gone and the e-mail may register again as a new account. Repeating it is harmless.
   * The caller (AuthService.deleteUser) runs it in a transaction and also ends the user's sessions
   * and access tokens; the `user.deleted` event it records evicts the user from the routers' caches.
   */
  async delete(viewer: Viewer | null, userId: string, now: Date = new Date()): Promise<User> {
    if (!viewer) throw new Forbidden('sign in first');
    if (viewer.userId !== userId && !hasScope(viewer, 'admin')) throw new Forbidden('only admins may delete another user');
    const user = isUuid(userId) ? await this.em.findOne(User, { id: userId }) : null;
    if (!user) throw new NotFound('User', userId);
    if (user.deletedAt) return user;
    user.deletedAt = now;
    user.email = erasedEmail(user.id);
    user.displayName = DELETED_DISPLAY_NAME;
    user.passwordHash = null;
    await this.em.flush();
    // In the same transaction (the caller's): the routers' cached copies are evicted once it commits.
    await recordEvent(this.em, 'accounts', 'user.deleted', { userId: user.id });
    return user;
  }

  async create(input: NewUser): Promise<User> {
    const user = this.em.create(User, {
      id: randomUUID(),
      email: input.email.trim().toLowerCase(),
      displayName: input.displayName.trim(),
      role: input.role,
      passwordHash: input.passwordHash ?? null,
      createdAt: new Date(),
    });
    try {
      await this.em.persistAndFlush(user);
    } catch (error) {
      // The unique constraint decides, so two concurrent sign-ups cannot both win.
      if (postgresErrorCode(error) === PG_UNIQUE_VIOLATION) throw new EmailTaken(user.email);
      throw error;
    }
    return user;
  }
}
