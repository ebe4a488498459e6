import { ApolloServer } from '@apollo/server';
import { createGraphQLHttpServer, createLogger } from '@booking/runtime';
import { graphqlRequest } from '@booking/testkit';

describe('graceful shutdown of the HTTP server', () => {
  it('lets an in-flight request finish, refuses new connections, then closes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const resolverStarted = new Promise<void>((resolve) => (started = resolve));
    const apollo = new ApolloServer({
      typeDefs: 'type Query { slow: String }',
      resolvers: {
        Query: {
          slow: async () => {
            started();
            await gate;
            return 'done';
          },
        },
      },
    });
    await apollo.start();
    const server = createGraphQLHttpServer({ apollo, context: async () => ({}), logger: createLogger('test', 'silent') });
    const url = await server.listen(0, '127.0.0.1');

    const inFlight = graphqlRequest(`${url}/graphql`, '{ slow }');
    await resolverStarted;
    let closed = false;
    const closing = server.close().then(() => (closed = true));

    await expect(fetch(`${url}/graphql`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    expect(closed).toBe(false);
    release();
    await expect(inFlight).resolves.toMatchObject({ status: 200, data: { slow: 'done' } });
    await closing;
    expect(server.server.listening).toBe(false);
    await apollo.stop();
  });

  it('answers 404 off the GraphQL path and 413 for an oversized body', async () => {
    const apollo = new ApolloServer({ typeDefs: 'type Query { ok: Boolean }', resolvers: { Query: { ok: () => true } } });
    await apollo.start();
    const server = createGraphQLHttpServer({ apollo, context: async () => ({}), logger: createLogger('test', 'silent'), maxBodyBytes: 1_000 });
    const url = await server.listen(0, '127.0.0.1');
    try {
      expect((await fetch(`${url}/nowhere`)).status).toBe(404);
      const big = await graphqlRequest(`${url}/graphql`, `{ ok ${' '.repeat(2_000)} }`);
      expect(big).toMatchObject({ status: 413, errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    } finally {
      await server.close();
      await apollo.stop();
    }
  });
});
