import { entityReferenceType } from '@booking/runtime';

/** bookings owns Booking; billing contributes `Booking.invoice`. */
export const BookingReference = entityReferenceType('Booking', { resolvable: true });
export type BookingReference = InstanceType<typeof BookingReference>;
