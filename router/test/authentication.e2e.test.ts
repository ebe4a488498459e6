import { randomUUID } from 'node:crypto';
import { generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import { activeSigningKey, graphqlRequest, startStack, type Stack } from '@booking/testkit';

const SESSION = 'accessToken refreshToken user { id }';

/** Bearer tokens at the router: verified against accounts' JWKS, identity forwarded signed. */
describe('router authentication', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ routerEnv: { JWKS_REFRESH_COOLDOWN_MS: '0' } });
  });
  afterAll(() => stack?.stop());

  async function register(email: string): Promise<{ accessToken: string; user: { id: string } }> {
    const response = await stack.query<{ register: { accessToken: string; user: { id: string } } }>(
      `mutation($input: RegisterInput!) { register(input: $input) { ${SESSION} } }`,
      { input: { email, password: 'correct horse battery', displayName: email.split('@')[0] } },
    );
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.register;
  }

  /** The accounts key ring's active private key, to mint tokens the router must still reject. */
  function activeKey(): Promise<{ kid: string; privateJwk: JWK }> {
    return activeSigningKey(stack.subgraphs.accounts);
  }

  function mint(key: { kid: string; privateKey: KeyLike | Uint8Array }, claims: { sub: string; exp: number; iss?: string }) {
    return new SignJWT({ role: 'ADMIN', scope: 'admin profile' })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
      .setSubject(claims.sub)
      .setIssuer(claims.iss ?? 'booking-supergraph/accounts')
      .setAudience('booking-supergraph')
      .setIssuedAt()
      .setExpirationTime(claims.exp)
      .sign(key.privateKey);
  }

  it('identifies the caller from a valid token, end to end', async () => {
    const session = await register('router-auth@example.com');
    const response = await stack.query('{ viewer { id email } }', {}, session.accessToken);
    expect(response).toMatchObject({ status: 200, data: { viewer: { id: session.user.id, email: 'router-auth@example.com' } } });
    expect((await stack.query('{ viewer { id } }')).data).toEqual({ viewer: null });
  });

  it.each([
    ['a malformed token', () => Promise.resolve('not.a.jwt'), 'the access token is malformed'],
    ['the wrong scheme', () => Promise.resolve('basic'), 'Authorization header must be "Bearer <access token>"'],
  ])('refuses %s with 401 UNAUTHENTICATED', async (_name, token, reason) => {
    const value = await token();
    const headers = value === 'basic' ? { authorization: 'Basic dXNlcjpwYXNz' } : { authorization: `Bearer ${value}` };
    const response = await graphqlRequest(stack.routerUrl, '{ viewer { id } }', {}, headers);
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.errors?.[0]?.message).toContain(reason);
  });

  it('refuses an expired token signed with the real key', async () => {
    const key = await activeKey();
    const token = await mint(
      { kid: key.kid, privateKey: await importJWK(key.privateJwk, 'ES256') },
      { sub: randomUUID(), exp: Math.floor(Date.now() / 1000) - 60 },
    );
    const response = await stack.query('{ viewer { id } }', {}, token);
    expect(response).toMatchObject({ status: 401, errors: [{ message: 'Unauthenticated: the access token has expired', extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('refuses a forged token that claims the real key id, and one with an unknown key id', async () => {
    const { kid } = await activeKey();
    const { privateKey } = await generateKeyPair('ES256');
    const exp = Math.floor(Date.now() / 1000) + 600;
    const forged = await mint({ kid, privateKey }, { sub: randomUUID(), exp });
    expect((await stack.query('{ viewer { id } }', {}, forged)).errors?.[0]?.message).toBe(
      'Unauthenticated: the access token signature is invalid',
    );
    const unknownKid = await mint({ kid: randomUUID(), privateKey }, { sub: randomUUID(), exp });
    expect((await stack.query('{ viewer { id } }', {}, unknownKid)).errors?.[0]?.message).toBe(
      'Unauthenticated: the access token was signed with an unknown key',
    );
    const wrongIssuer = await mint({ kid, privateKey: await importJWK((await activeKey()).privateJwk, 'ES256') }, { sub: randomUUID(), exp, iss: 'evil' });
    expect((await stack.query('{ viewer { id } }', {}, wrongIssuer)).errors?.[0]?.message).toBe(
      'Unauthenticated: the access token claim "iss" is invalid',
    );
  });

  it('accepts tokens signed with a newly rotated key (unknown kid → JWKS refetch)', async () => {
    await stack.query('{ viewer { id } }', {}, (await register('before-rotation@example.com')).accessToken);
    const { KeyRing } = await import('../../subgraphs/accounts/src/auth/KeyRing');
    await new KeyRing(stack.subgraphs.accounts.server.database.em, { rotationSeconds: 3600, accessTokenTtlSeconds: 900 }).rotate();
    const key = await activeKey();
    const token = await mint({ kid: key.kid, privateKey: await importJWK(key.privateJwk, 'ES256') }, {
      sub: randomUUID(),
      exp: Math.floor(Date.now() / 1000) + 600,
    });
    const response = await stack.query('{ viewer { id } }', {}, token);
    expect(response).toMatchObject({ status: 200, data: { viewer: null } });
    expect(response.errors).toBeUndefined();
  });
});
