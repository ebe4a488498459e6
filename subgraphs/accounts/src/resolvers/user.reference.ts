import type { AccountsContext } from '../loaders';

export const userReference = {
  User: {
    __resolveReference(reference: { id: string }, context: AccountsContext) {
      return context.loaders.userById.load(reference.id);
    },
  },
};
