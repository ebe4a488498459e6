import { defineSubgraph } from '@booking/runtime';
import { migrations } from '../migrations';
import { accountsInvalidations } from './events/invalidations';
import { RefreshToken } from './entities/RefreshToken';
import { SigningKey } from './entities/SigningKey';
import { User } from './entities/User';
import { attachAccountsServices, type AccountsServices } from './auth/accountsServices';
import { createLoaders, type AccountsLoaders } from './loaders';
import { AuthResolver } from './resolvers/AuthResolver';
import { UserResolver } from './resolvers/UserResolver';
import { userReference } from './resolvers/user.reference';
import { seedDemo } from './seed/demoSeed';

export const accounts = defineSubgraph<AccountsLoaders, AccountsServices>({
  name: 'accounts',
  entities: [User, RefreshToken, SigningKey],
  migrations,
  createLoaders,
  seedDemo,
  attach: attachAccountsServices,
  // Its events exist to evict cached users (no subgraph consumes them yet): through the same
  // outbox as every other subgraph's, so an invalidation follows only a committed change and
  // survives a crash between the commit and the publish.
  publishesEvents: true,
  invalidates: accountsInvalidations,
  schema: { resolvers: [UserResolver, AuthResolver], referenceResolvers: userReference },
});

export const { buildSchema, createServer } = accounts;
export { User, Role } from './entities/User';
export { JWKS_PATH } from './auth/accountsServices';
export { ROLE_SCOPES } from './auth/scopes';
export { PasswordHasher } from './auth/PasswordHasher';
export { PrivateKeyVault, parseEncryptionKey, ENCRYPTION_KEY_VARIABLE } from './auth/PrivateKeyVault';
export { authVariableNames, readAuthConfig } from './auth/authConfig';
