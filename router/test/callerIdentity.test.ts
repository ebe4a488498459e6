import type { IncomingMessage } from 'node:http';
import { callerKey, clientAddress } from '../src/pipeline/callerIdentity';

function request(peer: string, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
}

describe('clientAddress', () => {
  it('believes no forwarded header without trusted proxies', () => {
    expect(clientAddress(request('10.0.0.5', '1.2.3.4'), 0)).toBe('10.0.0.5');
  });

  it('takes the entry as many places from the right as there are trusted proxies', () => {
    // client 203.0.113.7 → CDN 198.51.100.1 → ingress (peer 10.0.0.5); the client wrote "6.6.6.6" itself.
    const forwarded = '6.6.6.6, 203.0.113.7, 198.51.100.1';
    expect(clientAddress(request('10.0.0.5', forwarded), 1)).toBe('198.51.100.1');
    expect(clientAddress(request('10.0.0.5', forwarded), 2)).toBe('203.0.113.7');
    // More hops configured than entries: the leftmost entry, never beyond.
    expect(clientAddress(request('10.0.0.5', '203.0.113.7'), 5)).toBe('203.0.113.7');
  });

  it('falls back to the nearest trusted entry when the client entry is not an address, and groups IPv6 by /64', () => {
    expect(clientAddress(request('10.0.0.5', 'nonsense, 198.51.100.1'), 2)).toBe('198.51.100.1');
    expect(clientAddress(request('10.0.0.5'), 1)).toBe('10.0.0.5');
    expect(clientAddress(request('10.0.0.5', '2001:db8:1:2:3:4:5:6'), 1)).toBe('2001:db8:1:2::/64');
  });
});

describe('callerKey', () => {
  it('is the user when signed in, the address otherwise', () => {
    expect(callerKey({ userId: 'u1', role: 'guest', scopes: [] }, '1.2.3.4')).toBe('user:u1');
    expect(callerKey(null, '1.2.3.4')).toBe('address:1.2.3.4');
  });
});
