import { startSubgraph, viewerWith, type RunningSubgraph } from '@booking/testkit';

/**
 * `_entities` applies the same object rules as `invoice(id)` (issue 9, item 6): signed as
 * another guest, a reference to someone else's invoice is refused with FORBIDDEN at its path.
 */
const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Invoice { id status amount { amount } } }
}`;

describe('billing: _entities applies the Invoice object rules', () => {
  let billing: RunningSubgraph;
  const guestA = viewerWith('GUEST');
  const guestB = viewerWith('GUEST');
  let invoiceId: string;

  beforeAll(async () => {
    billing = await startSubgraph('billing');
    const issued = await billing.query<{ issueInvoice: { id: string } }>(
      `mutation($input: IssueInvoiceInput!) { issueInvoice(input: $input) { id } }`,
      { input: { bookingId: '0e7c5f8a-4444-4444-8444-0000000000e1', guestId: guestA.userId, amount: { amount: 31000, currency: 'EUR' } } },
      viewerWith('ADMIN'),
    );
    expect(issued.errors).toBeUndefined();
    invoiceId = issued.data!.issueInvoice.id;
  });
  afterAll(() => billing?.dispose());

  const fetchAs = (viewer: ReturnType<typeof viewerWith> | null, id: string) =>
    billing.query<{ _entities: unknown[] }>(ENTITIES, { representations: [{ __typename: 'Invoice', id }] }, viewer);

  it("refuses another guest's invoice with FORBIDDEN at the entity's path", async () => {
    const response = await fetchAs(guestB, invoiceId);
    expect(response.data).toEqual({ _entities: [null] });
    expect(response.errors).toEqual([expect.objectContaining({ path: ['_entities', 0], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
    expect(JSON.stringify(response)).not.toContain('31000');
    expect((await fetchAs(null, invoiceId)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // The root field answers the same way: one rule for both paths.
    const root = await billing.query(`query($id: ID!) { invoice(id: $id) { id } }`, { id: invoiceId }, guestB);
    expect(root.data).toEqual({ invoice: null });
    expect(root.errors?.[0]).toMatchObject({ path: ['invoice'], extensions: { code: 'FORBIDDEN' } });
  });

  it('answers its guest and admins, as invoice(id) does; null for an unknown id', async () => {
    for (const viewer of [guestA, viewerWith('ADMIN')]) {
      const response = await fetchAs(viewer, invoiceId);
      expect(response.errors).toBeUndefined();
      expect(response.data?._entities).toEqual([{ id: invoiceId, status: 'OPEN', amount: { amount: 31000 } }]);
    }
    const unknown = await fetchAs(guestA, '6b0a4b4e-0000-4000-8000-000000000009');
    expect(unknown).toMatchObject({ data: { _entities: [null] } });
    expect(unknown.errors).toBeUndefined();
  });
});
