import { defineSubgraph } from '@booking/runtime';
import { migrations } from '../migrations';
import { User } from './entities/User';
import { createLoaders, type AccountsLoaders } from './loaders';
import { UserResolver } from './resolvers/UserResolver';
import { userReference } from './resolvers/user.reference';
import { seedDemo } from './seed/demoSeed';

export const accounts = defineSubgraph<AccountsLoaders>({
  name: 'accounts',
  entities: [User],
  migrations,
  createLoaders,
  seedDemo,
  schema: { resolvers: [UserResolver], referenceResolvers: userReference },
});

export const { buildSchema, createServer } = accounts;
export { User, Role } from './entities/User';
