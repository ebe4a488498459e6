import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { startSubgraph, type RunningSubgraph } from '@booking/testkit';
import { KeyRing } from '../src/auth/KeyRing';

const SESSION = 'accessToken accessTokenExpiresAt refreshToken user { id email role }';
const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { ${SESSION} } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { ${SESSION} } }`;
const REFRESH = `mutation($token: String!) { refreshToken(refreshToken: $token) { ${SESSION} } }`;
const LOGOUT = `mutation($token: String!) { logout(refreshToken: $token) }`;

interface Session {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string; role: string };
}

describe('accounts: registration, sign-in, rotating refresh tokens, JWKS', () => {
  let accounts: RunningSubgraph;

  beforeAll(async () => {
    accounts = await startSubgraph('accounts', { env: { SIGNING_KEY_CACHE_MS: '0' } });
  });
  afterAll(() => accounts?.dispose());

  async function jwks(): Promise<JSONWebKeySet> {
    const response = await fetch(`${accounts.baseUrl}/.well-known/jwks.json`);
    expect(response.headers.get('cache-control')).toBe('public, max-age=60');
    return (await response.json()) as JSONWebKeySet;
  }

  async function session(query: string, variables: Record<string, unknown>, field: string): Promise<Session> {
    const response = await accounts.query<Record<string, Session>>(query, variables);
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data[field] as Session;
  }

  const register = (email: string, role = 'GUEST') =>
    session(REGISTER, { input: { email, password: 'correct horse battery', displayName: 'Reg', role } }, 'register');

  it('registers a guest and issues an ES256 access token that verifies against the published JWKS', async () => {
    const registered = await register('new@auth.example');
    expect(registered.user).toEqual({ id: expect.any(String), email: 'new@auth.example', role: 'GUEST' });
    const { payload, protectedHeader } = await jwtVerify(registered.accessToken, createLocalJWKSet(await jwks()), {
      issuer: 'booking-supergraph/accounts',
      audience: 'booking-supergraph',
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    expect(payload).toMatchObject({ sub: registered.user.id, role: 'GUEST', scope: 'profile bookings:write invoices:pay' });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
  });

  it('refuses to register an admin, a short password or a taken email', async () => {
    const admin = await accounts.query(REGISTER, { input: { email: 'a@auth.example', password: 'long enough pw', displayName: 'A', role: 'ADMIN' } });
    expect(admin.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'role' }] });
    const short = await accounts.query(REGISTER, { input: { email: 'b@auth.example', password: 'short', displayName: 'B' } });
    expect(short.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'password' }] });
    await register('taken@auth.example');
    const taken = await accounts.query(REGISTER, { input: { email: 'taken@auth.example', password: 'long enough pw', displayName: 'C' } });
    expect(taken.errors?.[0]?.extensions?.code).toBe('EMAIL_TAKEN');
  });

  it('signs in with the right password only, without saying whether the email exists', async () => {
    await register('login@auth.example', 'HOST');
    const signedIn = await session(LOGIN, { input: { email: 'LOGIN@auth.example', password: 'correct horse battery' } }, 'login');
    expect(signedIn.user.role).toBe('HOST');
    const wrongPassword = await accounts.query(LOGIN, { input: { email: 'login@auth.example', password: 'wrong password!' } });
    const unknownEmail = await accounts.query(LOGIN, { input: { email: 'nobody@auth.example', password: 'wrong password!' } });
    for (const failed of [wrongPassword, unknownEmail]) {
      expect(failed.errors?.[0]).toMatchObject({ message: 'Invalid email or password', extensions: { code: 'UNAUTHENTICATED' } });
    }
  });

  it('rotates refresh tokens and revokes the whole login when an old one is replayed', async () => {
    const first = await register('rotate@auth.example');
    const second = await session(REFRESH, { token: first.refreshToken }, 'refreshToken');
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const third = await session(REFRESH, { token: second.refreshToken }, 'refreshToken');

    const replay = await accounts.query(REFRESH, { token: first.refreshToken });
    expect(replay.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // The leak is contained: the newest token of that login no longer works either.
    const newest = await accounts.query(REFRESH, { token: third.refreshToken });
    expect(newest.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('lets only one of two concurrent uses of a refresh token succeed', async () => {
    const start = await register('race@auth.example');
    const results = await Promise.all([1, 2].map(() => accounts.query(REFRESH, { token: start.refreshToken })));
    expect(results.filter((result) => result.data?.refreshToken)).toHaveLength(1);
    expect(results.filter((result) => result.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED')).toHaveLength(1);
  });

  it('logs out: the refresh token stops working', async () => {
    const start = await register('logout@auth.example');
    expect((await accounts.query(LOGOUT, { token: start.refreshToken })).data).toEqual({ logout: true });
    expect((await accounts.query(REFRESH, { token: start.refreshToken })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('rotates the signing key: new tokens use the new key, old tokens still verify until the old key expires', async () => {
    const before = await register('keys@auth.example');
    const oldKid = decodeProtectedHeader(before.accessToken).kid;
    const ring = new KeyRing(accounts.server.database.em, { rotationSeconds: 3600, accessTokenTtlSeconds: 900 });
    const newKid = await ring.rotate();

    const after = await session(LOGIN, { input: { email: 'keys@auth.example', password: 'correct horse battery' } }, 'login');
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(newKid);
    const published = await jwks();
    expect(published.keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
    expect(published.keys.every((key) => !('d' in key))).toBe(true);
    await expect(jwtVerify(before.accessToken, createLocalJWKSet(published))).resolves.toBeDefined();

    // Once the retired key's window has passed it is no longer published.
    const later = new Date(Date.now() + (900 + 180) * 1000);
    expect((await ring.publicJwks(later)).keys.map((key) => key.kid)).toEqual([newKid]);
  });

  it('answers `viewer` with the signed-in user, null when anonymous', async () => {
    const registered = await register('viewer@auth.example');
    const viewer = { userId: registered.user.id, role: 'GUEST', scopes: ['profile'] };
    expect((await accounts.query('{ viewer { email } }', {}, viewer)).data).toEqual({ viewer: { email: 'viewer@auth.example' } });
    expect((await accounts.query('{ viewer { email } }')).data).toEqual({ viewer: null });
  });
});
