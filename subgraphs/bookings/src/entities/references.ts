import { entityReferenceType } from '@booking/runtime';

/** catalog owns Listing; bookings contributes `Listing.bookings`. */
export const ListingReference = entityReferenceType('Listing', { resolvable: true });
export type ListingReference = InstanceType<typeof ListingReference>;

/** accounts owns User; bookings contributes `User.bookings`. */
export const UserReference = entityReferenceType('User', { resolvable: true });
export type UserReference = InstanceType<typeof UserReference>;
