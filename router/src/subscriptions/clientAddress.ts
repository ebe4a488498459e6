import { isIPv6 } from 'node:net';

/**
 * The address anonymous subscriptions and connections are counted against: the socket's peer,
 * never a forwarded header (a client could name any address there). IPv4-mapped IPv6 is
 * written as IPv4, and IPv6 is grouped by its /64, the block one host or subscriber is given,
 * so that rotating through one's own addresses does not multiply the caps.
 */
export function clientAddressOf(remoteAddress: string | undefined): string {
  if (!remoteAddress) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  if (mapped) return mapped[1] as string;
  if (!isIPv6(remoteAddress)) return remoteAddress;
  const [head = '', tail = ''] = remoteAddress.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = remoteAddress.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
