import { Role } from '../entities/User';

/**
 * What each role may do, as OAuth-style scopes in the access token; the schema's
 * `@requiresScopes` and the subgraphs' object rules check these, never the role name.
 */
export const ROLE_SCOPES: Readonly<Record<Role, readonly string[]>> = {
  [Role.GUEST]: ['profile', 'bookings:write', 'invoices:pay'],
  [Role.HOST]: ['profile', 'bookings:write', 'invoices:pay', 'listings:write'],
  [Role.ADMIN]: ['profile', 'bookings:write', 'invoices:pay', 'listings:write', 'admin'],
};
