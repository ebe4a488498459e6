import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { ConfigError } from '@booking/runtime';
import { startSubgraph, TEST_SIGNING_KEY_ENCRYPTION_KEY, type RunningSubgraph } from '@booking/testkit';
import { readAuthConfig } from '../src/auth/authConfig';

/**
 * Signing private keys are encrypted at rest with SIGNING_KEY_ENCRYPTION_KEY (issue 9, item 16):
 * the column never holds a JWK in clear, keys stored in clear before are sealed at the next start,
 * tokens keep verifying, and a wrong key stops the start with a message naming the variable.
 */
const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { accessToken } }`;

async function storedKeys(accounts: RunningSubgraph): Promise<{ kid: string; private_key: string }[]> {
  return accounts.server.database.em.fork().execute('select kid, private_key from signing_keys order by created_at');
}

async function registerAndVerify(accounts: RunningSubgraph, email: string): Promise<string> {
  const response = await accounts.query<{ register: { accessToken: string } }>(REGISTER, {
    input: { email, password: 'correct horse battery', displayName: 'Sealed' },
  });
  expect(response.errors).toBeUndefined();
  const token = response.data!.register.accessToken;
  const jwks = (await (await fetch(`${accounts.baseUrl}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
  await expect(jwtVerify(token, createLocalJWKSet(jwks))).resolves.toBeDefined();
  return decodeProtectedHeader(token).kid!;
}

function expectNoKeyInClear(rows: { private_key: string }[]): void {
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    expect(row.private_key).toMatch(/^v1\.[0-9a-f]{12}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(row.private_key).not.toMatch(/"d"|"kty"|PRIVATE KEY/);
  }
}

describe('accounts: signing keys encrypted at rest', () => {
  const started: RunningSubgraph[] = [];
  afterAll(async () => {
    for (const subgraph of started.reverse()) await subgraph.dispose();
  });

  it('stores no private key in clear, and its tokens verify', async () => {
    const accounts = await startSubgraph('accounts');
    started.push(accounts);
    await registerAndVerify(accounts, 'sealed@keys.example');
    expectNoKeyInClear(await storedKeys(accounts));
  });

  it('seals keys stored in clear at the next start and keeps signing with them; a wrong key stops the start', async () => {
    // A database from before encryption at rest: the key ring wrote its JWK in clear.
    const legacy = await startSubgraph('accounts', { env: { SIGNING_KEY_ENCRYPTION_KEY: '' } });
    started.push(legacy);
    const [plain] = await storedKeys(legacy);
    expect(plain?.private_key).toContain('"d"');
    await legacy.stop();

    const sealed = await startSubgraph('accounts', { sharedDatabase: legacy.database });
    started.push(sealed);
    expectNoKeyInClear(await storedKeys(sealed));
    expect((await storedKeys(sealed)).map((row) => row.kid)).toEqual([plain!.kid]);
    expect(await registerAndVerify(sealed, 'migrated@keys.example')).toBe(plain!.kid);
    await sealed.stop();

    const wrongKey = 'ab'.repeat(32);
    expect(wrongKey).not.toBe(TEST_SIGNING_KEY_ENCRYPTION_KEY);
    await expect(startSubgraph('accounts', { sharedDatabase: legacy.database, env: { SIGNING_KEY_ENCRYPTION_KEY: wrongKey } })).rejects.toThrow(
      /cannot decrypt signing key .* with SIGNING_KEY_ENCRYPTION_KEY/,
    );
    await expect(startSubgraph('accounts', { sharedDatabase: legacy.database, env: { SIGNING_KEY_ENCRYPTION_KEY: '' } })).rejects.toThrow(
      /SIGNING_KEY_ENCRYPTION_KEY/,
    );
  });

  it('requires the key in the production profile and rejects a malformed one, naming the variable', () => {
    expect(() => readAuthConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => readAuthConfig({ NODE_ENV: 'production' })).toThrow(/SIGNING_KEY_ENCRYPTION_KEY is required when NODE_ENV=production/);
    expect(() => readAuthConfig({ SIGNING_KEY_ENCRYPTION_KEY: 'too-short' })).toThrow(/SIGNING_KEY_ENCRYPTION_KEY must be 32 random bytes/);
    expect(readAuthConfig({ NODE_ENV: 'production', SIGNING_KEY_ENCRYPTION_KEY: TEST_SIGNING_KEY_ENCRYPTION_KEY }).signingKeyEncryptionKey).toHaveLength(32);
  });
});
