import { buildSchema as buildAccounts } from '@booking/accounts';
import { buildSchema as buildBilling } from '@booking/billing';
import { buildSchema as buildBookings } from '@booking/bookings';
import { buildSchema as buildCatalog } from '@booking/catalog';
import { printSubgraphSdl, type SubgraphName } from '@booking/runtime';

const builders: Record<SubgraphName, typeof buildAccounts> = {
  accounts: buildAccounts,
  catalog: buildCatalog,
  bookings: buildBookings,
  billing: buildBilling,
};

/** Each subgraph's SDL generated from its type-graphql classes, as `_service { sdl }` serves it. */
export async function generateSubgraphSdl(name: SubgraphName): Promise<string> {
  return printSubgraphSdl(await builders[name]());
}
