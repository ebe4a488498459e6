/**
 * The Guild benchmark's four subgraphs (accounts, inventory, products, reviews) as small
 * `@apollo/subgraph` schemas, served by one process at /accounts, /inventory, /products and
 * /reviews, as the benchmark's own Rust server does. Behaviour follows the original,
 * quirks included, so responses equal its published expected result.
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import gql from 'graphql-tag';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { GraphQLSchema } from 'graphql';
import { INVENTORY, PRODUCTS, REVIEWS, USERS, type Review } from './data';

export const GUILD_SUBGRAPH_NAMES = ['accounts', 'inventory', 'products', 'reviews'] as const;
export type GuildSubgraphName = (typeof GUILD_SUBGRAPH_NAMES)[number];

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires", "@provides", "@shareable"])';

type Resolvers = GraphQLResolverMap<unknown>;

const accounts = {
  typeDefs: gql`
    ${LINK}
    type Query {
      me: User
      user(id: ID!): User
      users: [User]
    }
    type User @key(fields: "id") {
      id: ID!
      name: String
      "Also provided by reviews (Review.author), hence shareable."
      username: String @shareable
      birthday: Int
    }
  `,
  resolvers: {
    Query: {
      me: () => USERS[0],
      user: (_: unknown, args: { id: string }) => USERS.find((user) => user.id === args.id) ?? null,
      users: () => USERS,
    },
    User: {
      __resolveReference: (reference: { id: string }) => USERS.find((user) => user.id === reference.id) ?? null,
    },
  } as Resolvers,
};

const inventory = {
  typeDefs: gql`
    ${LINK}
    type Product @key(fields: "upc") {
      upc: String!
      weight: Int @external
      price: Int @external
      inStock: Boolean
      shippingEstimate: Int @requires(fields: "price weight")
    }
  `,
  resolvers: {
    Product: {
      // The original answers from its own rows, whose price and weight are unset, and ignores
      // the required fields it was sent: shippingEstimate is always null. Kept for parity.
      __resolveReference: (reference: { upc: string }) => {
        const item = INVENTORY.find((row) => row.upc === reference.upc);
        return item ? { upc: item.upc, inStock: item.inStock, price: null, weight: null } : null;
      },
      shippingEstimate: (product: { price: number | null; weight: number | null }) => {
        if (product.price === null) return null;
        if (product.price > 1000) return 0;
        return product.weight === null ? null : Math.trunc(product.weight / 2);
      },
    },
  } as Resolvers,
};

const products = {
  typeDefs: gql`
    ${LINK}
    type Query {
      topProducts(first: Int = 5): [Product]
    }
    type Product @key(fields: "upc") {
      upc: String!
      name: String
      price: Int
      weight: Int
    }
  `,
  resolvers: {
    Query: { topProducts: (_: unknown, args: { first: number }) => PRODUCTS.slice(0, args.first) },
    Product: { __resolveReference: (reference: { upc: string }) => PRODUCTS.find((product) => product.upc === reference.upc) ?? null },
  } as Resolvers,
};

/** Every author is user 1 and every user's reviews are the first two, as in the original. */
const authorReviews = (): readonly Review[] => REVIEWS.slice(0, 2);

const reviews = {
  typeDefs: gql`
    ${LINK}
    type Review @key(fields: "id") {
      id: ID!
      body: String
      product: Product
      author: User @provides(fields: "username")
    }
    type User @key(fields: "id") {
      id: ID!
      username: String @external
      reviews: [Review]
    }
    type Product @key(fields: "upc") {
      upc: String!
      reviews: [Review]
    }
  `,
  resolvers: {
    Review: {
      __resolveReference: (reference: { id: string }) => REVIEWS.find((review) => review.id === reference.id) ?? null,
      product: (review: Review) => ({ upc: review.productUpc }),
      author: () => ({ id: '1', username: 'urigo' }),
    },
    User: {
      __resolveReference: (reference: { id: string }) => ({ id: reference.id, username: 'user' }),
      reviews: () => authorReviews(),
    },
    Product: {
      __resolveReference: (reference: { upc: string }) => ({ upc: reference.upc }),
      reviews: (product: { upc: string }) => REVIEWS.filter((review) => review.productUpc === product.upc),
    },
  } as Resolvers,
};

export const GUILD_SUBGRAPHS: Record<GuildSubgraphName, { typeDefs: ReturnType<typeof gql>; resolvers: Resolvers }> = {
  accounts,
  inventory,
  products,
  reviews,
};

export function guildSubgraphSchemas(): Record<GuildSubgraphName, GraphQLSchema> {
  return Object.fromEntries(
    GUILD_SUBGRAPH_NAMES.map((name) => [name, buildSubgraphSchema([GUILD_SUBGRAPHS[name]])]),
  ) as Record<GuildSubgraphName, GraphQLSchema>;
}
