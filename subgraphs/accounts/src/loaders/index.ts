import { loaderById, type SubgraphContext } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AccountsServices } from '../auth/accountsServices';
import { User } from '../entities/User';

export function createLoaders(em: EntityManager) {
  return { userById: loaderById(em, User) };
}

export type AccountsLoaders = ReturnType<typeof createLoaders>;
export type AccountsContext = SubgraphContext<AccountsLoaders, AccountsServices>;
