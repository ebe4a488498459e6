import { randomUUID } from 'node:crypto';
import { PasswordHasher, Role, ROLE_SCOPES } from '@booking/accounts';
import type { Viewer } from '@booking/runtime';
import type { Stack } from './stack';

export type RoleName = keyof typeof Role;

/** A viewer as the router would forward it, for calling a subgraph directly. */
export function viewerWith(role: RoleName, userId: string = randomUUID()): Viewer {
  return { userId, role, scopes: [...ROLE_SCOPES[Role[role]]] };
}

export interface TestSession {
  readonly userId: string;
  readonly accessToken: string;
}

const PASSWORD = 'correct horse battery staple';

/** Signs up through the router, as a frontend would. */
export async function registerThroughRouter(stack: Stack, email: string, role: 'GUEST' | 'HOST' = 'GUEST'): Promise<TestSession> {
  const response = await stack.query<{ register: { accessToken: string; user: { id: string } } }>(
    `mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }`,
    { input: { email, password: PASSWORD, displayName: email.split('@')[0], role } },
  );
  if (!response.data) throw new Error(`register failed: ${JSON.stringify(response.errors)}`);
  return { userId: response.data.register.user.id, accessToken: response.data.register.accessToken };
}

/** Admins are appointed, not registered: one is written to accounts' database, then signs in. */
export async function adminThroughRouter(stack: Stack, email = `admin-${randomUUID()}@example.com`): Promise<TestSession> {
  const id = randomUUID();
  await stack.subgraphs.accounts.server.database.em
    .fork()
    .getConnection()
    .execute('insert into users (id, email, display_name, role, password_hash) values (?, ?, ?, ?, ?)', [
      id,
      email,
      'Admin',
      'ADMIN',
      await new PasswordHasher().hash(PASSWORD),
    ]);
  const response = await stack.query<{ login: { accessToken: string } }>(
    `mutation($input: LoginInput!) { login(input: $input) { accessToken } }`,
    { input: { email, password: PASSWORD } },
  );
  if (!response.data) throw new Error(`admin login failed: ${JSON.stringify(response.errors)}`);
  return { userId: id, accessToken: response.data.login.accessToken };
}
