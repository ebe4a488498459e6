import { routerCallSigner } from '@booking/runtime';
import {
  committedSdl,
  fetchEntities,
  graphqlRequest,
  graphqlRequestBody,
  postGraphQL,
  servedSdl,
  startSubgraph,
  TEST_SIGNING_SECRET,
  viewerWith,
  type RunningSubgraph,
} from '@booking/testkit';

const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id email displayName role } }`;

describe('accounts subgraph (real PostgreSQL)', () => {
  let accounts: RunningSubgraph;
  const admin = viewerWith('ADMIN');
  const asAdmin = <Data = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) =>
    accounts.query<Data>(query, variables, admin);

  beforeAll(async () => {
    accounts = await startSubgraph('accounts');
  });
  afterAll(() => accounts?.dispose());

  async function createUser(email: string, displayName = 'Someone', role = 'GUEST') {
    const response = await asAdmin<{ createUser: { id: string } }>(CREATE_USER, { input: { email, displayName, role } });
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.createUser;
  }

  it('creates a user, normalising the email, and reads it back by id', async () => {
    const response = await asAdmin(CREATE_USER, { input: { email: 'Hana@Example.COM', displayName: 'Hana', role: 'HOST' } });
    expect(response.errors).toBeUndefined();
    const created = (response.data as { createUser: { id: string } }).createUser;
    expect(created).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), email: 'hana@example.com', displayName: 'Hana', role: 'HOST' });

    const read = await asAdmin(`query($id: ID!) { user(id: $id) { id email role } }`, { id: created.id });
    expect(read.data).toEqual({ user: { id: created.id, email: 'hana@example.com', role: 'HOST' } });
  });

  it('shows an email to its owner and to admins only', async () => {
    const user = await createUser('private@example.com');
    const query = `query($id: ID!) { user(id: $id) { displayName email } }`;
    const asOwner = await accounts.query(query, { id: user.id }, viewerWith('GUEST', user.id));
    expect(asOwner.data).toEqual({ user: { displayName: 'Someone', email: 'private@example.com' } });
    const asOther = await accounts.query(query, { id: user.id }, viewerWith('GUEST'));
    expect(asOther.data).toEqual({ user: { displayName: 'Someone', email: null } });
    expect(asOther.errors?.[0]).toMatchObject({ path: ['user', 'email'], extensions: { code: 'FORBIDDEN' } });
  });

  it('answers null for an unknown or malformed id', async () => {
    const response = await accounts.query(`{ a: user(id: "6b0a4b4e-0000-4000-8000-000000000000") { id } b: user(id: "nope") { id } }`);
    expect(response).toMatchObject({ status: 200, data: { a: null, b: null } });
    expect(response.errors).toBeUndefined();
  });

  it('rejects invalid input with BAD_USER_INPUT naming each field', async () => {
    const response = await asAdmin(CREATE_USER, { input: { email: 'not-an-email', displayName: '' } });
    expect(response.data).toBeNull();
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [
        { field: 'email', message: 'email must be an email address' },
        { field: 'displayName', message: 'displayName must be 1 to 100 characters' },
      ],
    });
  });

  it('rejects a wrongly typed variable before execution', async () => {
    const response = await asAdmin(CREATE_USER, { input: { email: 'x@example.com', displayName: 'X', role: 'KING' } });
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toContain('role');
  });

  it('refuses a second account with the same email (case-insensitive) as EMAIL_TAKEN', async () => {
    await createUser('dup@example.com');
    const response = await asAdmin(CREATE_USER, { input: { email: 'DUP@example.com', displayName: 'Again' } });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'EMAIL_TAKEN', field: 'email' });
  });

  it('pages users with cursors, oldest first', async () => {
    const created = [];
    for (const name of ['p1', 'p2', 'p3']) created.push(await createUser(`${name}@paging.example`));
    const all = await asAdmin<{ users: { edges: { node: { id: string } }[] } }>(`{ users(first: 100) { edges { node { id } } } }`);
    const ids = all.data?.users.edges.map((edge) => edge.node.id) ?? [];
    expect(ids.slice(-3)).toEqual(created.map((user) => user.id));

    const page = `query($after: String) { users(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`;
    type Page = { users: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const response: { data?: Page | null } = await asAdmin<Page>(page, { after });
      const users: Page['users'] = response.data!.users;
      seen.push(...users.edges.map((edge) => edge.node.id));
      if (!users.pageInfo.hasNextPage) break;
      after = users.pageInfo.endCursor;
    }
    expect(seen).toEqual(ids);
  });

  it('rejects a forged cursor and an out-of-range page size', async () => {
    const response = await asAdmin(`{ a: users(after: "garbage") { edges { cursor } } }`);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const tooMany = await asAdmin(`{ users(first: 1000) { edges { cursor } } }`);
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'first' }] });
  });

  it('resolves User entity references in one batch, null for unknown ids', async () => {
    const user = await createUser('entity@example.com', 'Entity Person');
    const entities = await fetchEntities(
      accounts,
      [
        { __typename: 'User', id: user.id },
        { __typename: 'User', id: '6b0a4b4e-0000-4000-8000-000000000001' },
      ],
      '... on User { id displayName }',
    );
    expect(entities).toEqual([{ id: user.id, displayName: 'Entity Person' }, null]);
  });

  it('serves the committed SDL as _service.sdl', async () => {
    expect(await servedSdl(accounts)).toBe(committedSdl('accounts'));
  });

  it('refuses calls that do not come from the router (403 FORBIDDEN)', async () => {
    const unsigned = await graphqlRequest(accounts.graphqlUrl, '{ __typename }');
    expect(unsigned).toMatchObject({ status: 403, errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    expect(unsigned.errors?.[0]?.message).toContain('missing router signature');

    const body = graphqlRequestBody('{ __typename }', {});
    const forged = routerCallSigner('not-the-router-secret-but-long-enough', { userId: 'x', role: 'ADMIN', scopes: ['admin'] }).request('accounts', body);
    const wrongSecret = await postGraphQL(accounts.graphqlUrl, body, forged);
    expect(wrongSecret.status).toBe(403);
    expect(wrongSecret.errors?.[0]?.message).toContain('invalid router signature');

    const stale = routerCallSigner(TEST_SIGNING_SECRET, null, () => Date.now() - 5 * 60_000).request('accounts', body);
    expect((await postGraphQL(accounts.graphqlUrl, body, stale)).status).toBe(403);

    const tampered = { ...routerCallSigner(TEST_SIGNING_SECRET, { userId: 'a', role: 'GUEST', scopes: [] }).request('accounts', body), 'x-booking-viewer-scopes': 'admin' };
    expect((await postGraphQL(accounts.graphqlUrl, body, tampered)).status).toBe(403);
  });

  it('reports liveness and readiness', async () => {
    const health = await fetch(`${accounts.baseUrl}/health`);
    const ready = await fetch(`${accounts.baseUrl}/ready`);
    expect([health.status, ready.status]).toEqual([200, 200]);
    expect(await ready.json()).toEqual({ status: 'ready', service: 'accounts' });
  });
});
