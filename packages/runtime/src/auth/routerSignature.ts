import { createHmac, hash, randomUUID, timingSafeEqual } from 'node:crypto';
import { NonceMemory } from './nonceMemory';
import type { Viewer } from './viewer';

/**
 * The router forwards the verified identity to subgraphs in headers, with an HMAC so a
 * subgraph can tell a router call from a direct one and trust the identity without verifying
 * the JWT again. Anonymous calls are signed too (empty user id).
 *
 * A signature is good for one call only: it covers the target subgraph (audience), the SHA-256
 * of the exact body bytes sent (or, for a subscription socket, its connection_init), a random
 * nonce the subgraph accepts once, and a timestamp that must be recent. So a captured header
 * set cannot be replayed, sent to another subgraph, or reused with another body.
 */
export const ROUTER_HEADERS = {
  userId: 'x-booking-viewer-id',
  role: 'x-booking-viewer-role',
  scopes: 'x-booking-viewer-scopes',
  timestamp: 'x-booking-router-ts',
  nonce: 'x-booking-router-nonce',
  signature: 'x-booking-router-signature',
} as const;

/** How old a signature may be when it arrives (network time plus the router's clock lead). */
export const SIGNATURE_MAX_AGE_MS = 15_000;
/** How far ahead of the subgraph's clock a signature may be (the router's clock running fast). */
export const SIGNATURE_MAX_FUTURE_MS = 5_000;

/** What a subscription socket's signature covers in place of a body digest. */
const CONNECTION_INIT = 'graphql-ws connection_init';
const MAX_NONCE_LENGTH = 64;

function payload(audience: string, timestamp: string, nonce: string, purpose: string, identity: string): string {
  return `v2\n${audience}\n${timestamp}\n${nonce}\n${purpose}\n${identity}`;
}

function identityOf(userId: string, role: string, scopes: string): string {
  return `${userId}\n${role}\n${scopes}`;
}

function hmac(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}

/** One-shot digest: no Hash object per subgraph call (the router signs every call). */
function bodyDigest(body: string | Uint8Array): string {
  return hash('sha256', body, 'hex');
}

/** Signs the calls of one viewer: `request` per HTTP call (after its body is final), `connectionInit` per socket. */
export interface RouterCallSigner {
  request(audience: string, body: string | Uint8Array): Record<string, string>;
  connectionInit(audience: string): Record<string, string>;
}

export function routerCallSigner(secret: string, viewer: Viewer | null, clock: () => number = Date.now): RouterCallSigner {
  const userId = viewer?.userId ?? '';
  const role = viewer?.role ?? '';
  const scopes = viewer?.scopes.join(' ') ?? '';
  const identity = identityOf(userId, role, scopes);
  const sign = (audience: string, purpose: string): Record<string, string> => {
    const timestamp = String(clock());
    const nonce = randomUUID();
    return {
      [ROUTER_HEADERS.userId]: userId,
      [ROUTER_HEADERS.role]: role,
      [ROUTER_HEADERS.scopes]: scopes,
      [ROUTER_HEADERS.timestamp]: timestamp,
      [ROUTER_HEADERS.nonce]: nonce,
      [ROUTER_HEADERS.signature]: hmac(secret, payload(audience, timestamp, nonce, purpose, identity)),
    };
  };
  return {
    request: (audience, body) => sign(audience, bodyDigest(body)),
    connectionInit: (audience) => sign(audience, CONNECTION_INIT),
  };
}

export type HeaderLookup = (name: string) => string | undefined;

export type SignatureCheck =
  | { readonly ok: true; readonly viewer: Viewer | null }
  | { readonly ok: false; readonly reason: string };

function viewerFrom(userId: string, role: string, scopes: string): Viewer | null {
  if (!userId) return null;
  return { userId, role, scopes: scopes.split(' ').filter(Boolean) };
}

/**
 * Most nonces one subgraph instance remembers: about 10 MB (~105 bytes each, measured). Past it
 * the oldest are forgotten and signatures as old are refused (see NonceMemory), so at more than
 * ~6,700 calls/s an instance's window shrinks below 15 s; router calls arrive within
 * milliseconds of signing, so they still pass.
 */
const DEFAULT_NONCE_CAPACITY = 100_000;

/**
 * A subgraph instance's check of router signatures, addressed to it by name. Nonces are
 * remembered in this process: a replay to this instance is refused; a replay to another replica
 * must still be the same call (same body, same subgraph) within SIGNATURE_MAX_AGE_MS, so it can
 * only repeat a call that already ran, within seconds. A shared Redis SET NX would close that
 * too, but would add a Redis round trip to every subgraph call the router makes.
 */
export class RouterCallVerifier {
  private readonly nonces: NonceMemory;
  private readonly clock: () => number;

  constructor(
    private readonly secret: string,
    private readonly audience: string,
    options: { readonly nonceCapacity?: number; readonly clock?: () => number } = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.nonces = new NonceMemory(SIGNATURE_MAX_AGE_MS, options.nonceCapacity ?? DEFAULT_NONCE_CAPACITY);
  }

  /** An HTTP call: `body` is the exact bytes received. */
  request(header: HeaderLookup, body: Uint8Array): SignatureCheck {
    return this.check(header, () => bodyDigest(body));
  }

  /** A subscription socket's connection_init payload (it has no body). */
  connectionInit(header: HeaderLookup): SignatureCheck {
    return this.check(header, () => CONNECTION_INIT);
  }

  /** Nonces currently remembered (for tests and metrics). */
  get rememberedNonces(): number {
    return this.nonces.size;
  }

  private check(header: HeaderLookup, purpose: () => string): SignatureCheck {
    const signature = header(ROUTER_HEADERS.signature);
    const timestamp = header(ROUTER_HEADERS.timestamp);
    const nonce = header(ROUTER_HEADERS.nonce);
    if (!signature || !timestamp || !nonce) return { ok: false, reason: 'missing router signature' };
    if (nonce.length > MAX_NONCE_LENGTH) return { ok: false, reason: 'invalid router signature' };
    const now = this.clock();
    const sentAt = Number(timestamp);
    if (!Number.isFinite(sentAt) || now - sentAt > SIGNATURE_MAX_AGE_MS || sentAt - now > SIGNATURE_MAX_FUTURE_MS) {
      return { ok: false, reason: 'router signature expired' };
    }
    const userId = header(ROUTER_HEADERS.userId) ?? '';
    const role = header(ROUTER_HEADERS.role) ?? '';
    const scopes = header(ROUTER_HEADERS.scopes) ?? '';
    const expected = Buffer.from(hmac(this.secret, payload(this.audience, timestamp, nonce, purpose(), identityOf(userId, role, scopes))), 'hex');
    const given = Buffer.from(signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'invalid router signature' };
    }
    // Only a valid signature reaches the nonce memory, so nobody but the router can fill it.
    if (!this.nonces.accept(nonce, sentAt, now)) return { ok: false, reason: 'router signature already used' };
    return { ok: true, viewer: viewerFrom(userId, role, scopes) };
  }
}

/** For local debugging only (ALLOW_UNSIGNED_REQUESTS): identity headers taken as given. */
export function unsignedViewer(header: HeaderLookup): Viewer | null {
  return viewerFrom(header(ROUTER_HEADERS.userId) ?? '', header(ROUTER_HEADERS.role) ?? '', header(ROUTER_HEADERS.scopes) ?? '');
}
