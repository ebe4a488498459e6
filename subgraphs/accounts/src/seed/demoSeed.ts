import { demoId } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Role, User } from '../entities/User';

export const DEMO_USERS = [
  { name: 'hana', displayName: 'Hana Sato', role: Role.HOST },
  { name: 'omar', displayName: 'Omar Haddad', role: Role.HOST },
  { name: 'alice', displayName: 'Alice Martin', role: Role.GUEST },
  { name: 'bruno', displayName: 'Bruno Costa', role: Role.GUEST },
  { name: 'chen', displayName: 'Chen Wei', role: Role.GUEST },
  { name: 'ada', displayName: 'Ada Admin', role: Role.ADMIN },
] as const;

export async function seedDemo(em: EntityManager): Promise<void> {
  await em.upsertMany(
    User,
    DEMO_USERS.map((user, index) => ({
      id: demoId('user', user.name),
      email: `${user.name}@example.com`,
      displayName: user.displayName,
      role: user.role,
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, index)),
    })),
  );
}
