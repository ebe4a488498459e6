/**
 * Issue 9 item 14: after `logout` the session's access tokens are refused at once, by every
 * router (they learn of it through Redis), on HTTP and on subscriptions, cached or not.
 */
import { randomUUID } from 'node:crypto';
import {
  connectSubscriptions,
  graphqlRequest,
  openMultipartSubscription,
  registerThroughRouter,
  startStack,
  TEST_PASSWORD as PASSWORD,
  untilRefused,
  type GraphQLResponse,
  type Stack,
} from '@booking/testkit';

const VIEWER = '{ viewer { id } }';

describe('access tokens of a signed-out session (real routers, accounts, PostgreSQL, Redis)', () => {
  let stack: Stack;

  /** Another router process's worth of router on the same subgraphs and Redis. */
  const anotherRouter = async (): Promise<string> => (await stack.startRouter()).url;

  const signUp = () => registerThroughRouter(stack, `out-${randomUUID()}@example.com`);

  const ask = (url: string, token: string, query = VIEWER): Promise<GraphQLResponse<{ viewer: { id: string } | null }>> =>
    graphqlRequest(url, query, {}, { authorization: `Bearer ${token}` });

  const expectUnauthenticated = (answer: GraphQLResponse) => {
    expect(answer.status).toBe(401);
    expect(answer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(answer.errors?.[0]?.message).toContain('session has ended');
  };

  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses the token on every router, cached or not, and ends its open subscriptions (graphql-ws and multipart)', async () => {
    const routerB = await anotherRouter();
    const session = await signUp();
    // Both routers have verified (and so remember) the token before the logout.
    expect((await ask(stack.routerUrl, session.accessToken)).data?.viewer?.id).toBe(session.userId);
    expect((await ask(routerB, session.accessToken)).data?.viewer?.id).toBe(session.userId);
    const socket = connectSubscriptions(stack.routerUrl, { authorization: `Bearer ${session.accessToken}` });
    const watching = socket.subscribe('subscription { myBookings { id } }');
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('the subscription socket did not open')), 10_000);
      socket.client.on('connected', () => {
        clearTimeout(deadline);
        resolve();
      });
    });

    // And a multipart (HTTP) subscription stream.
    const stream = await openMultipartSubscription(stack.routerUrl, 'subscription { myBookings { id } }', session.accessToken);
    expect(stream.statusCode).toBe(200);

    const logout = await stack.query<{ logout: boolean }>('mutation($t: String!) { logout(refreshToken: $t) }', { t: session.refreshToken });
    expect(logout.data?.logout).toBe(true);

    const onA = await untilRefused(() => ask(stack.routerUrl, session.accessToken), 5_000);
    expectUnauthenticated(onA.answer);
    const onB = await untilRefused(() => ask(routerB, session.accessToken), 5_000);
    expectUnauthenticated(onB.answer);
    // The gateway path (GET) and a mutation are refused alike.
    const get = await fetch(`${stack.routerUrl}?query=${encodeURIComponent(VIEWER)}`, {
      headers: { authorization: `Bearer ${session.accessToken}`, 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(401);
    expectUnauthenticated(await ask(stack.routerUrl, session.accessToken, 'mutation { logout(refreshToken: "x") }'));
    // The open socket is closed; a new one with the same token is refused.
    expect((await socket.closed).code).toBe(4403);
    await watching.ended;
    const again = connectSubscriptions(stack.routerUrl, { authorization: `Bearer ${session.accessToken}` });
    again.subscribe('subscription { myBookings { id } }');
    expect((await again.closed).code).toBe(4403);
    await Promise.all([socket.dispose(), again.dispose()]);
    let text = '';
    for await (const chunk of stream) text += String(chunk);
    expect(text).toContain('"payload":null,"errors":[{"message":"Unauthenticated: the session has ended (signed out or account deleted)","extensions":{"code":"UNAUTHENTICATED"}}]');
    process.stdout.write(`revocation seen by router A after ${onA.afterMs} ms, router B after ${onB.afterMs} ms\n`);
  });

  it('a router started after the logout loads the revocation before it serves', async () => {
    const session = await signUp();
    await stack.query('mutation($t: String!) { logout(refreshToken: $t) }', { t: session.refreshToken });
    const routerC = await anotherRouter();
    expectUnauthenticated(await ask(routerC, session.accessToken));
  });

  it('leaves the same user\'s other sessions working', async () => {
    const session = await signUp();
    const second = await stack.query<{ login: { accessToken: string } }>(
      'mutation($input: LoginInput!) { login(input: $input) { accessToken } }',
      { input: { email: session.email, password: PASSWORD } },
    );
    const otherToken = second.data?.login.accessToken as string;
    await stack.query('mutation($t: String!) { logout(refreshToken: $t) }', { t: session.refreshToken });
    expectUnauthenticated((await untilRefused(() => ask(stack.routerUrl, session.accessToken), 5_000)).answer);
    expect((await ask(stack.routerUrl, otherToken)).data?.viewer?.id).toBe(session.userId);
  });

  it('a replayed refresh token (stolen) ends the access tokens of the whole login', async () => {
    const session = await signUp();
    const REFRESH = 'mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }';
    const rotated = await stack.query<{ refreshToken: { accessToken: string } }>(REFRESH, { t: session.refreshToken });
    const newer = rotated.data?.refreshToken.accessToken as string;
    expect((await ask(stack.routerUrl, newer)).data?.viewer?.id).toBe(session.userId);
    const replayed = await stack.query(REFRESH, { t: session.refreshToken });
    expect(replayed.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expectUnauthenticated((await untilRefused(() => ask(stack.routerUrl, newer), 5_000)).answer);
    expectUnauthenticated(await ask(stack.routerUrl, session.accessToken));
  });
});
