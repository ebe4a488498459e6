import { ConfigError, parse, readConfig, variable, variableNames, type ConfigOf, type Env } from '@booking/runtime';
import { ENCRYPTION_KEY_VARIABLE, parseEncryptionKey } from './PrivateKeyVault';

export const authConfigSpec = {
  issuer: variable('JWT_ISSUER', '`iss` of access tokens', parse.text, () => 'booking-supergraph/accounts'),
  audience: variable('JWT_AUDIENCE', '`aud` of access tokens', parse.text, () => 'booking-supergraph'),
  accessTokenTtlSeconds: variable('ACCESS_TOKEN_TTL_SECONDS', 'lifetime of access tokens', parse.positiveInt, () => 900),
  refreshTokenTtlSeconds: variable(
    'REFRESH_TOKEN_TTL_SECONDS',
    'lifetime of refresh tokens',
    parse.positiveInt,
    () => 30 * 24 * 3600,
  ),
  keyRotationSeconds: variable(
    'SIGNING_KEY_ROTATION_SECONDS',
    'age at which the access-token signing key is replaced',
    parse.positiveInt,
    () => 30 * 24 * 3600,
  ),
  keyCacheMs: variable(
    'SIGNING_KEY_CACHE_MS',
    'how long an instance signs with its cached key before re-reading the ring (rotations by others)',
    (raw) => {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0 || value > 60_000) throw new Error('must be 0 to 60000');
      return value;
    },
    () => 30_000,
  ),
  signingKeyEncryptionKey: variable<Buffer | null>(
    ENCRYPTION_KEY_VARIABLE,
    'AES-256 key (64 hex characters) that encrypts the signing private keys in the database; required when NODE_ENV=production',
    parseEncryptionKey,
    () => null,
  ),
};

/** The variables accounts reads beyond every subgraph's own (for the deployment checks). */
export const authVariableNames = (): string[] => variableNames(authConfigSpec);

export type AuthConfig = ConfigOf<typeof authConfigSpec>;

/** The production profile is NODE_ENV=production (the container image sets it). */
export function readAuthConfig(env: Env): AuthConfig {
  const config = readConfig(authConfigSpec, env);
  if (env.NODE_ENV === 'production' && !config.signingKeyEncryptionKey) {
    throw new ConfigError([`${ENCRYPTION_KEY_VARIABLE} is required when NODE_ENV=production (signing private keys are never stored in clear there)`]);
  }
  return config;
}
