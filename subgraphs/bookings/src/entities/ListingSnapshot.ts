import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** catalog's listing as of its last `listing.published` event. */
@Entity({ tableName: 'listing_snapshots' })
export class ListingSnapshot {
  @PrimaryKey({ type: 'uuid' })
  listingId!: string;

  @Property({ type: 'uuid' })
  hostId!: string;

  @Property({ type: 'text' })
  title!: string;

  @Property({ type: 'integer' })
  capacity!: number;

  @Property({ type: 'integer' })
  nightlyAmount!: number;

  @Property({ type: 'integer' })
  cleaningFeeAmount!: number;

  @Property({ type: 'text', length: 3 })
  currency!: string;

  @Property({ type: 'boolean' })
  published!: boolean;

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}
