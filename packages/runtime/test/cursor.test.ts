import { decodeCursor, demoId, encodeCursor, InvalidInput } from '@booking/runtime';

describe('cursors', () => {
  it('round-trips a position', () => {
    const position = { createdAt: new Date('2026-01-01T00:00:00.123Z'), id: '0e7c5f8a-1111-4111-8111-000000000001' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each(['', 'garbage', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["not a date","x"]').toString('base64url')])(
    'rejects %p as a BAD_USER_INPUT on `after`',
    (cursor) => {
      expect(() => decodeCursor(cursor)).toThrow(InvalidInput);
      try {
        decodeCursor(cursor);
      } catch (error) {
        expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      }
    },
  );
});

describe('demo ids', () => {
  it('are stable, distinct and shaped like UUIDs', () => {
    expect(demoId('user', 'alice')).toBe(demoId('user', 'alice'));
    expect(demoId('user', 'alice')).not.toBe(demoId('listing', 'alice'));
    expect(demoId('user', 'alice')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
