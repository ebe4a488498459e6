import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Viewer } from './viewer';

/**
 * The router forwards the verified identity to subgraphs in headers, with an HMAC over the
 * values and a timestamp, so a subgraph can tell a router call from a direct one and trust the
 * identity without verifying the JWT again. Anonymous calls are signed too (empty user id).
 */
export const ROUTER_HEADERS = {
  userId: 'x-booking-viewer-id',
  role: 'x-booking-viewer-role',
  scopes: 'x-booking-viewer-scopes',
  timestamp: 'x-booking-router-ts',
  signature: 'x-booking-router-signature',
} as const;

/** How far a signature's timestamp may be from the subgraph's clock. */
export const SIGNATURE_MAX_SKEW_MS = 60_000;

function payload(timestamp: string, userId: string, role: string, scopes: string): string {
  return `v1\n${timestamp}\n${userId}\n${role}\n${scopes}`;
}

function hmac(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}

export function signViewerHeaders(secret: string, viewer: Viewer | null, now: number = Date.now()): Record<string, string> {
  const timestamp = String(now);
  const userId = viewer?.userId ?? '';
  const role = viewer?.role ?? '';
  const scopes = viewer?.scopes.join(' ') ?? '';
  return {
    [ROUTER_HEADERS.userId]: userId,
    [ROUTER_HEADERS.role]: role,
    [ROUTER_HEADERS.scopes]: scopes,
    [ROUTER_HEADERS.timestamp]: timestamp,
    [ROUTER_HEADERS.signature]: hmac(secret, payload(timestamp, userId, role, scopes)),
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

export function verifyViewerHeaders(secret: string, header: HeaderLookup, now: number = Date.now()): SignatureCheck {
  const signature = header(ROUTER_HEADERS.signature);
  const timestamp = header(ROUTER_HEADERS.timestamp);
  if (!signature || !timestamp) return { ok: false, reason: 'missing router signature' };
  const sentAt = Number(timestamp);
  if (!Number.isFinite(sentAt) || Math.abs(now - sentAt) > SIGNATURE_MAX_SKEW_MS) {
    return { ok: false, reason: 'router signature expired' };
  }
  const userId = header(ROUTER_HEADERS.userId) ?? '';
  const role = header(ROUTER_HEADERS.role) ?? '';
  const scopes = header(ROUTER_HEADERS.scopes) ?? '';
  const expected = Buffer.from(hmac(secret, payload(timestamp, userId, role, scopes)), 'hex');
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'invalid router signature' };
  }
  return { ok: true, viewer: viewerFrom(userId, role, scopes) };
}

/** For local debugging only (ALLOW_UNSIGNED_REQUESTS): identity headers taken as given. */
export function unsignedViewer(header: HeaderLookup): Viewer | null {
  return viewerFrom(header(ROUTER_HEADERS.userId) ?? '', header(ROUTER_HEADERS.role) ?? '', header(ROUTER_HEADERS.scopes) ?? '');
}
