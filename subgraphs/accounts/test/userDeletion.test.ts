/** Issue 9 item 14: the rules of deleting an account, on the accounts subgraph (real PostgreSQL). */
import { fetchEntities, startSubgraph, viewerWith, type RunningSubgraph } from '@booking/testkit';

const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const DELETE_USER = `mutation($id: ID!) { deleteUser(id: $id) { id email displayName deletedAt } }`;

describe('account deletion (accounts subgraph, real PostgreSQL)', () => {
  let accounts: RunningSubgraph;
  const admin = viewerWith('ADMIN');

  beforeAll(async () => {
    accounts = await startSubgraph('accounts');
  });
  afterAll(() => accounts?.dispose());

  async function createUser(email: string): Promise<string> {
    const response = await accounts.query<{ createUser: { id: string } }>(CREATE_USER, { input: { email, displayName: 'Dana', role: 'GUEST' } }, admin);
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.createUser.id;
  }

  it('lets only admins delete another user (the router checks the scope; the service too, for direct calls)', async () => {
    const id = await createUser('victim@example.com');
    const byGuest = await accounts.query(DELETE_USER, { id }, viewerWith('GUEST'));
    expect(byGuest.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await accounts.query(DELETE_USER, { id });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const still = await accounts.query<{ user: { displayName: string; deletedAt: string | null } }>(
      'query($id: ID!) { user(id: $id) { displayName deletedAt } }',
      { id },
      admin,
    );
    expect(still.data?.user).toEqual({ displayName: 'Dana', deletedAt: null });
  });

  it('anonymises the row (the id stays for bookings and invoices), frees the e-mail, and is harmless to repeat', async () => {
    const id = await createUser('erase.me@example.com');
    const first = await accounts.query<{ deleteUser: { id: string; email: string | null; displayName: string; deletedAt: string | null } }>(
      DELETE_USER,
      { id },
      admin,
    );
    expect(first.data?.deleteUser).toMatchObject({ id, email: null, displayName: 'Deleted user' });
    expect(first.data?.deleteUser.deletedAt).toEqual(expect.any(String));
    // The erased e-mail is refused with a reason, never nulled silently.
    expect(first.errors?.[0]).toMatchObject({ path: ['deleteUser', 'email'], extensions: { code: 'FORBIDDEN' } });
    const rows: { email: string; display_name: string; password_hash: string | null }[] = await accounts.server.database.em
      .fork()
      .getConnection()
      .execute('select email, display_name, password_hash from users where id = ?', [id]);
    expect(rows[0]?.email).not.toContain('erase.me');
    expect(rows[0]?.display_name).toBe('Deleted user');
    expect(rows[0]?.password_hash).toBeNull();

    const again = await accounts.query<{ deleteUser: { deletedAt: string } }>('mutation($id: ID!) { deleteUser(id: $id) { deletedAt } }', { id }, admin);
    expect(again.data?.deleteUser.deletedAt).toBe(first.data?.deleteUser.deletedAt);
    // The e-mail may sign up again, as a new account.
    expect(await createUser('erase.me@example.com')).not.toBe(id);
    // Other subgraphs' references still resolve, to the anonymised user.
    const [reference] = await fetchEntities<{ displayName: string; deletedAt: string | null }>(
      accounts,
      [{ __typename: 'User', id }],
      '... on User { displayName deletedAt }',
      admin,
    );
    expect(reference).toMatchObject({ displayName: 'Deleted user' });
  });

  it('answers NOT_FOUND for an unknown id', async () => {
    const response = await accounts.query(DELETE_USER, { id: '6b0a4b4e-0000-4000-8000-000000000000' }, admin);
    expect(response.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
