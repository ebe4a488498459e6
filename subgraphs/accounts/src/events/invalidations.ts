import type { EntityReference, EventEnvelope, UserDeletedV1 } from '@booking/runtime';

/**
 * A deleted account's public profile changed (display name "Deleted user", deletedAt): evict
 * that user, so no router serves the erased name from its cache.
 */
export function accountsInvalidations(event: EventEnvelope): EntityReference[] {
  if (event.type !== 'user.deleted') return [];
  const payload = event.payload as UserDeletedV1;
  return [{ typename: 'User', key: { id: payload.userId } }];
}
