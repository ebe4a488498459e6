import type { Viewer } from '@booking/runtime/dist/router';
import { GraphQLError } from 'graphql';

export interface SubscriptionLimits {
  /** Open subscriptions of this router process, over every transport. */
  readonly total: number;
  /** Of those, how many anonymous clients may hold together: the rest stays for signed-in users. */
  readonly anonymous: number;
  /** One signed-in user's, over every connection and address. */
  readonly perUser: number;
  /** Anonymous subscriptions from one client address. */
  readonly perAddress: number;
}

/** Slots are counted against the signed-in user, or for an anonymous client against its address. */
function holderOf(viewer: Viewer | null, clientAddress: string): string {
  return viewer ? `user:${viewer.userId}` : `address:${clientAddress}`;
}

function refusal(message: string): GraphQLError {
  return new GraphQLError(`${message}; close one or try again later`, { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } });
}

/**
 * Admission for subscriptions. A refusal is one coded error for that one subscription (the
 * transport reports it and carries on), never a closed connection; a slot is given back by
 * `release` exactly once.
 */
export class SubscriptionQuota {
  private open = 0;
  private anonymousOpen = 0;
  private readonly byHolder = new Map<string, number>();

  constructor(private readonly limits: SubscriptionLimits) {}

  get openSubscriptions(): number {
    return this.open;
  }

  /** A slot for one subscription, with the function that gives it back, or why there is none. */
  take(viewer: Viewer | null, clientAddress: string): { release(): void } | GraphQLError {
    const holder = holderOf(viewer, clientAddress);
    const held = this.byHolder.get(holder) ?? 0;
    if (viewer && held >= this.limits.perUser) return refusal(`One user may hold at most ${this.limits.perUser} subscriptions`);
    if (!viewer && held >= this.limits.perAddress) {
      return refusal(`Anonymous clients at one address may hold at most ${this.limits.perAddress} subscriptions; sign in for more`);
    }
    if (!viewer && this.anonymousOpen >= this.limits.anonymous) return refusal('This router serves no more anonymous subscriptions now; sign in');
    if (this.open >= this.limits.total) return refusal(`This router serves at most ${this.limits.total} subscriptions at once`);
    this.open += 1;
    if (!viewer) this.anonymousOpen += 1;
    this.byHolder.set(holder, held + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.open -= 1;
        if (!viewer) this.anonymousOpen -= 1;
        const left = (this.byHolder.get(holder) ?? 1) - 1;
        if (left === 0) this.byHolder.delete(holder);
        else this.byHolder.set(holder, left);
      },
    };
  }
}
