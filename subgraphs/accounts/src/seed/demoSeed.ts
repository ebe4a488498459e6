import { demoId, insertMissing } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { PasswordHasher } from '../auth/PasswordHasher';
import { Role, User } from '../entities/User';

export const DEMO_USERS = [
  { name: 'hana', displayName: 'Hana Sato', role: Role.HOST },
  { name: 'omar', displayName: 'Omar Haddad', role: Role.HOST },
  { name: 'alice', displayName: 'Alice Martin', role: Role.GUEST },
  { name: 'bruno', displayName: 'Bruno Costa', role: Role.GUEST },
  { name: 'chen', displayName: 'Chen Wei', role: Role.GUEST },
  { name: 'ada', displayName: 'Ada Admin', role: Role.ADMIN },
] as const;

/** Every demo account signs in with this password (`npm start` prints it). */
export const DEMO_PASSWORD = 'demo-password';

/** Adds the demo users that are missing; an existing one (renamed, new password) is left alone. */
export async function seedDemo(em: EntityManager): Promise<void> {
  const passwordHash = await new PasswordHasher().hash(DEMO_PASSWORD);
  await insertMissing(
    em,
    User,
    DEMO_USERS.map((user, index) => ({
      id: demoId('user', user.name),
      email: `${user.name}@example.com`,
      displayName: user.displayName,
      role: user.role,
      passwordHash,
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, index)),
    })),
  );
}
