import { sendJson, SessionRevoker, type SubgraphAttachment, type SubgraphRuntime } from '@booking/runtime';
import { AccessTokens } from './AccessTokens';
import { readAuthConfig, type AuthConfig } from './authConfig';
import { KeyRing } from './KeyRing';
import { ENCRYPTION_KEY_VARIABLE, PrivateKeyVault } from './PrivateKeyVault';
import { PasswordHasher } from './PasswordHasher';

export interface AccountsServices {
  readonly config: AuthConfig;
  readonly keyRing: KeyRing;
  readonly hasher: PasswordHasher;
  readonly accessTokens: AccessTokens;
  /** Session revocations for the routers (Redis); null without REDIS_URL, where logout ends refresh tokens only. */
  readonly revocations: SessionRevoker | null;
}

export const JWKS_PATH = '/.well-known/jwks.json';

/** Key ring, token issuer and the JWKS endpoint the router verifies tokens against. */
export async function attachAccountsServices(runtime: SubgraphRuntime): Promise<SubgraphAttachment<AccountsServices>> {
  const config = readAuthConfig(runtime.env);
  const vault = new PrivateKeyVault(config.signingKeyEncryptionKey);
  const keyRing = new KeyRing(
    runtime.database.em,
    { rotationSeconds: config.keyRotationSeconds, accessTokenTtlSeconds: config.accessTokenTtlSeconds, reloadMs: config.keyCacheMs },
    vault,
  );
  // Before the first signature: seal keys stored in clear, and fail now on a wrong key.
  const sealed = await keyRing.sealStoredKeys();
  if (sealed > 0) runtime.logger.info({ sealed, encryptionKeyId: vault.keyId }, 'encrypted signing keys that were stored in clear');
  if (!vault.encrypts) runtime.logger.warn(`${ENCRYPTION_KEY_VARIABLE} is not set: signing private keys are stored in clear (development only)`);
  await keyRing.ensureCurrent();
  // Rotation is checked hourly (and at every start); instances agree through the database.
  const rotation = setInterval(() => {
    keyRing.ensureCurrent().catch((error: unknown) => runtime.logger.error({ err: error }, 'signing key rotation failed'));
  }, 3_600_000);
  rotation.unref();
  const revocations = runtime.config.redisUrl ? SessionRevoker.connect(runtime.config.redisUrl, runtime.config.eventKeyPrefix) : null;
  if (!revocations) runtime.logger.warn('no REDIS_URL: logout ends refresh tokens only; access tokens stay valid until they expire');
  return {
    services: { config, keyRing, hasher: new PasswordHasher(), accessTokens: new AccessTokens(keyRing, config), revocations },
    routes: {
      [JWKS_PATH]: async (_request, response) => {
        // Short caching: after a rotation the new key must be visible within a minute.
        response.setHeader('cache-control', 'public, max-age=60');
        sendJson(response, 200, await keyRing.publicJwks());
      },
    },
    async close() {
      clearInterval(rotation);
      await revocations?.close();
    },
  };
}
