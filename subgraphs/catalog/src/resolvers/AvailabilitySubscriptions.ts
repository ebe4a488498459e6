import { Arg, Field, ID, ObjectType, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { AVAILABILITY_CHANGED } from '../live/availability';
import type { CatalogContext } from '../loaders';

@ObjectType({ description: 'A time range of a listing became taken or free.' })
export class AvailabilityChange {
  @Field(() => ID)
  listingId!: string;

  @Field(() => Date)
  startsAt!: Date;

  @Field(() => Date)
  endsAt!: Date;

  @Field(() => Boolean, { description: 'True when the range was freed, false when it was taken.' })
  available!: boolean;
}

@Resolver()
export class AvailabilitySubscriptions {
  @Subscription(() => AvailabilityChange, {
    description: 'Ranges of this listing as they are booked or freed (public: no guest data).',
    // Each change is a fact of its own (this range taken, that one freed), not "read the current
    // state", so none may replace another: a subscriber that falls SUBSCRIBER_BUFFER behind is
    // ended with SLOW_CONSUMER (see LiveUpdates) rather than miss one.
    subscribe: ({ args, context }: SubscribeResolverData<unknown, { listingId: string }, CatalogContext>) =>
      context.live.subscribe(AVAILABILITY_CHANGED, args.listingId),
  })
  availabilityChanged(
    @Root() change: { listingId: string; startsAt: string; endsAt: string; available: boolean },
    @Arg('listingId', () => ID) _listingId: string,
  ): AvailabilityChange {
    return Object.assign(new AvailabilityChange(), {
      listingId: change.listingId,
      startsAt: new Date(change.startsAt),
      endsAt: new Date(change.endsAt),
      available: change.available,
    });
  }
}
