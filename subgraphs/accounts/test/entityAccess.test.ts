import { startSubgraph, viewerWith, type RunningSubgraph } from '@booking/testkit';

/**
 * `_entities` applies the same rules as `user(id)` (issue 9, item 6): a user's public profile is
 * public, but their e-mail is refused to another guest with FORBIDDEN at its path, as on the root field.
 */
const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id displayName email } }
}`;

describe('accounts: _entities applies the User rules', () => {
  let accounts: RunningSubgraph;
  let userId: string;

  beforeAll(async () => {
    accounts = await startSubgraph('accounts');
    const created = await accounts.query<{ createUser: { id: string } }>(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
      { input: { email: 'entity-access@example.com', displayName: 'Guest A' } },
      viewerWith('ADMIN'),
    );
    expect(created.errors).toBeUndefined();
    userId = created.data!.createUser.id;
  });
  afterAll(() => accounts?.dispose());

  const fetchAs = (viewer: ReturnType<typeof viewerWith> | null) =>
    accounts.query<{ _entities: unknown[] }>(ENTITIES, { representations: [{ __typename: 'User', id: userId }] }, viewer);

  it("refuses another guest the user's e-mail with FORBIDDEN, exactly as user(id) does", async () => {
    const entity = await fetchAs(viewerWith('GUEST'));
    const root = await accounts.query(`query($id: ID!) { user(id: $id) { id displayName email } }`, { id: userId }, viewerWith('GUEST'));
    expect(entity.data).toEqual({ _entities: [{ id: userId, displayName: 'Guest A', email: null }] });
    expect(entity.errors).toEqual([expect.objectContaining({ path: ['_entities', 0, 'email'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
    expect(root.errors).toEqual([expect.objectContaining({ path: ['user', 'email'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
    expect(JSON.stringify(entity)).not.toContain('entity-access@example.com');
  });

  it('shows the e-mail to its owner and to admins', async () => {
    for (const viewer of [viewerWith('GUEST', userId), viewerWith('ADMIN')]) {
      const response = await fetchAs(viewer);
      expect(response.errors).toBeUndefined();
      expect(response.data?._entities).toEqual([{ id: userId, displayName: 'Guest A', email: 'entity-access@example.com' }]);
    }
  });
});
