import { randomUUID } from 'node:crypto';
import { Conflict, findPage, PG_UNIQUE_VIOLATION, postgresErrorCode, type ConnectionArgs, type Connection } from '@booking/runtime';
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

export class UserService {
  constructor(private readonly em: EntityManager) {}

  list(args: ConnectionArgs): Promise<Connection<User>> {
    return findPage(this.em, User, {}, args);
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
