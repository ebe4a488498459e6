import type { Viewer } from '@booking/runtime/dist/router';
import { GraphQLError } from 'graphql';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';

export interface TokenVerifierOptions {
  readonly jwksUrl: string;
  readonly issuer: string;
  readonly audience: string;
  /** Least time between two JWKS fetches; an unknown `kid` refetches once this has passed. */
  readonly refreshCooldownMs: number;
  /** Whether a session (a token's `sid`) was revoked; asked on every use, remembered tokens too. */
  readonly isRevoked?: (sessionId: string) => boolean;
  /** Whether a user (a token's `sub`) was revoked: a deleted account; asked on every use too. */
  readonly isUserRevoked?: (userId: string) => boolean;
}

/** The verified caller and when their token stops being valid. */
export interface Session {
  readonly viewer: Viewer;
  readonly expiresAt: number;
  /** The login the token belongs to (`sid`); null for tokens issued without one. */
  readonly sessionId: string | null;
}

export type TokenVerifier = (token: string) => Promise<Session>;

/** A request with a bad token is refused as a whole: 401, UNAUTHENTICATED, never a 500. */
export function unauthenticated(reason: string): GraphQLError {
  return new GraphQLError(`Unauthenticated: ${reason}`, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the access token has expired';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'the access token was signed with an unknown key';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the access token signature is invalid';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the access token claim "${error.claim}" is invalid`;
  if (error instanceof joseErrors.JWKSTimeout || error instanceof TypeError) return 'the signing keys could not be fetched';
  if (error instanceof joseErrors.JOSEError) return 'the access token is malformed';
  return 'the access token could not be verified';
}

/** Most verified tokens remembered, and for how long at most (never past their expiry). */
const VERIFIED_TOKENS = 10_000;
const VERIFIED_TOKEN_TTL_MS = 60_000;

/**
 * Verifies accounts' ES256 access tokens against its JWKS, cached and refetched when a token
 * names a key the cache does not know (after a rotation). A token once verified is remembered
 * for a minute (at most until it expires), so a client's repeated requests and subscriptions
 * cost one signature check per minute instead of one each.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const keys = createRemoteJWKSet(new URL(options.jwksUrl), {
    cooldownDuration: options.refreshCooldownMs,
    cacheMaxAge: 10 * 60_000,
    timeoutDuration: 5_000,
  });
  const verified = new Map<string, { session: Session; until: number }>();
  // A map lookup in memory (see RevokedSessions): a revoked token stops at once, cached or not.
  const unlessRevoked = (session: Session): Session => {
    if (session.sessionId !== null && options.isRevoked?.(session.sessionId)) throw unauthenticated('the session has ended (signed out)');
    if (options.isUserRevoked?.(session.viewer.userId)) throw unauthenticated('the account no longer exists (deleted)');
    return session;
  };
  return async (token) => {
    const now = Date.now();
    const known = verified.get(token);
    if (known && known.until > now) return unlessRevoked(known.session);
    let session: Session;
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ['ES256'],
        typ: 'at+jwt',
        requiredClaims: ['sub', 'exp'],
      });
      const scope = typeof payload.scope === 'string' ? payload.scope : '';
      const role = typeof payload.role === 'string' ? payload.role : '';
      session = {
        viewer: { userId: payload.sub as string, role, scopes: scope.split(' ').filter(Boolean) },
        expiresAt: (payload.exp as number) * 1000,
        sessionId: typeof payload.sid === 'string' ? payload.sid : null,
      };
    } catch (error) {
      throw unauthenticated(reasonOf(error));
    }
    if (verified.size >= VERIFIED_TOKENS) verified.clear();
    verified.set(token, { session, until: Math.min(session.expiresAt, now + VERIFIED_TOKEN_TTL_MS) });
    return unlessRevoked(session);
  };
}

/** `Authorization: Bearer <jwt>` → session; no header → anonymous (null). */
export async function sessionFromAuthorization(header: string | undefined, verify: TokenVerifier): Promise<Session | null> {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) throw unauthenticated('the Authorization header must be "Bearer <access token>"');
  return verify(match[1] as string);
}

export async function viewerFromAuthorization(header: string | undefined, verify: TokenVerifier): Promise<Viewer | null> {
  return (await sessionFromAuthorization(header, verify))?.viewer ?? null;
}
