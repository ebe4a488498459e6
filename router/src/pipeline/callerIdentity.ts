import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Viewer } from '@booking/runtime/dist/router';
import { clientAddressOf } from '../subscriptions/clientAddress';

/**
 * The client's address: the socket peer, unless `trustedProxyHops` proxies (load balancer,
 * ingress) stand in front of the router. Each appends the address it received from to
 * X-Forwarded-For, so the client is the entry that many places from the right, counting the
 * socket peer (the last proxy). Entries left of it were written by the client and are never
 * believed; a malformed or missing entry falls back to the nearest trusted one.
 */
export function clientAddress(request: IncomingMessage, trustedProxyHops: number): string {
  const peer = request.socket.remoteAddress;
  if (trustedProxyHops === 0) return clientAddressOf(peer);
  const header = request.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((entry) => entry.trim());
  const chain = [...forwarded.filter((entry) => entry.length > 0), peer ?? ''];
  const index = Math.max(0, chain.length - 1 - trustedProxyHops);
  for (let position = index; position < chain.length; position += 1) {
    const candidate = chain[position] as string;
    if (isIP(candidate)) return clientAddressOf(candidate);
  }
  return clientAddressOf(peer);
}

/** Whom a budget belongs to: a signed-in user wherever they call from, else their address. */
export function callerKey(viewer: Viewer | null, address: string): string {
  return viewer ? `user:${viewer.userId}` : `address:${address}`;
}
