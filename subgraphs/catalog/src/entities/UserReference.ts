import { entityReferenceType } from '@booking/runtime';

/** accounts owns User; catalog only points at one (a listing's host). */
export const UserReference = entityReferenceType('User', { resolvable: false });
export type UserReference = InstanceType<typeof UserReference>;
