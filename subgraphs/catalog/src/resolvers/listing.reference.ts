import type { CatalogContext } from '../loaders';

export const listingReference = {
  Listing: {
    __resolveReference(reference: { id: string }, context: CatalogContext) {
      return context.loaders.listingById.load(reference.id);
    },
  },
};
