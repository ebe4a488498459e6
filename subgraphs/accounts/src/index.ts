import {
  buildFederatedSchema,
  createSubgraphServer,
  type SubgraphConfig,
  type SubgraphDefinition,
  type SubgraphServer,
} from '@booking/runtime';
import type { GraphQLSchema } from 'graphql';
import { migrations } from '../migrations';
import { User } from './entities/User';
import { createLoaders, type AccountsContext, type AccountsLoaders } from './loaders';
import { UserResolver } from './resolvers/UserResolver';
import { userReference } from './resolvers/user.reference';
import { seedDemo } from './seed/demoSeed';

export function buildSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema<AccountsContext>({ resolvers: [UserResolver], referenceResolvers: userReference });
}

export const accountsSubgraph: SubgraphDefinition<AccountsLoaders> = {
  name: 'accounts',
  entities: [User],
  migrations,
  buildSchema,
  createLoaders,
  seedDemo,
};

export function createServer(config: SubgraphConfig): Promise<SubgraphServer> {
  return createSubgraphServer(accountsSubgraph, config);
}

export { User, Role } from './entities/User';
