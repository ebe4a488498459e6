import { ApolloServer } from '@apollo/server';
import { createGraphQLHttpServer, createLogger, type GraphQLHttpServer } from '@booking/runtime';

/** The HTTP layer every subgraph serves: a body is read as GraphQL only when it is application/json. */
describe('subgraph HTTP layer', () => {
  let server: GraphQLHttpServer;
  let url: string;
  let runs = 0;

  beforeAll(async () => {
    const apollo = new ApolloServer({
      typeDefs: 'type Query { ok: Boolean } type Mutation { run: Int }',
      resolvers: { Mutation: { run: () => (runs += 1) } },
    });
    await apollo.start();
    server = createGraphQLHttpServer({ apollo, context: async () => ({}), logger: createLogger('test', 'silent') });
    url = `${await server.listen(0, '127.0.0.1')}/graphql`;
  });
  afterAll(() => server.close());

  const post = (contentType: string, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body: JSON.stringify({ query: 'mutation { run }' }) });

  it.each([
    'text/plain;charset=application/json',
    'text/plain; application/json',
    'application/x-www-form-urlencoded;x=application/json',
    'multipart/form-data; boundary=application/json',
    'application/graphql-response+json',
  ])('does not run a mutation sent as %s, even with a preflight header (415)', async (contentType) => {
    const before = runs;
    const response = await post(contentType, { 'apollo-require-preflight': 'true' });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('BAD_REQUEST');
    expect(runs).toBe(before);
  });

  it.each(['application/json', 'Application/JSON; charset=UTF-8'])('runs one sent as %s', async (contentType) => {
    const before = runs;
    const response = await post(contentType);
    expect(response.status).toBe(200);
    expect(runs).toBe(before + 1);
  });
});
