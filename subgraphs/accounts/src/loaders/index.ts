import { loaderById, type SubgraphContext } from '@booking/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AccountsServices } from '../auth/accountsServices';
import { User } from '../entities/User';

export function createLoaders(em: EntityManager) {
  return {
    userById: loaderById(em, User),
    /** Users the caller registered or signed in as during this request (not yet in a token). */
    signedInAs: new Set<string>(),
  };
}

export type AccountsLoaders = ReturnType<typeof createLoaders>;
export type AccountsContext = SubgraphContext<AccountsLoaders, AccountsServices>;
