import { GraphQLError } from 'graphql';
import { clientAddressOf } from '../src/subscriptions/clientAddress';
import { SubscriptionQuota } from '../src/subscriptions/subscriptionQuota';

const user = (userId: string) => ({ userId, role: 'GUEST', scopes: [] });

describe('subscription quota', () => {
  it('counts signed-in users by id and anonymous clients by address, and keeps a share for signed-in users', () => {
    const quota = new SubscriptionQuota({ total: 5, anonymous: 3, perUser: 2, perAddress: 2 });
    const taken = [quota.take(null, '10.0.0.1'), quota.take(null, '10.0.0.1')];
    const third = quota.take(null, '10.0.0.1');
    expect(third).toBeInstanceOf(GraphQLError);
    expect((third as GraphQLError).extensions.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    taken.push(quota.take(null, '10.0.0.2'));
    // Anonymous clients together are at their share; a signed-in user still gets in.
    expect(quota.take(null, '10.0.0.3')).toBeInstanceOf(GraphQLError);
    const signedIn = [quota.take(user('a'), '10.0.0.1'), quota.take(user('a'), '10.0.0.9')];
    expect(signedIn.every((slot) => !(slot instanceof GraphQLError))).toBe(true);
    expect(quota.take(user('a'), '10.0.0.1')).toBeInstanceOf(GraphQLError);
    expect(quota.take(user('b'), '10.0.0.1')).toBeInstanceOf(GraphQLError); // the router's total
    // A slot given back (once, however often release runs) can be taken again.
    const first = taken[0] as { release(): void };
    first.release();
    first.release();
    expect(quota.openSubscriptions).toBe(4);
    expect(quota.take(null, '10.0.0.1')).not.toBeInstanceOf(GraphQLError);
  });

  it('takes the client address from the socket, IPv4-mapped as IPv4 and IPv6 by its /64', () => {
    expect(clientAddressOf('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(clientAddressOf('10.1.2.3')).toBe('10.1.2.3');
    expect(clientAddressOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressOf('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientAddressOf('::1')).toBe('0:0:0:0::/64');
    expect(clientAddressOf(undefined)).toBe('unknown');
  });
});
