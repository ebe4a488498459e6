import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';

@Directive('@key(fields: "id")')
// The same for every viewer; an edit evicts it at once (listing.published → Listing), so 60 s only bounds a lost eviction.
@Directive('@cacheControl(maxAge: 60, scope: PUBLIC)')
@ObjectType({ description: 'Something a host offers for booking: a room, a desk, a vehicle, a tour.' })
@Entity({ tableName: 'listings' })
export class Listing {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Field(() => String)
  @Property({ type: 'text' })
  title!: string;

  @Field(() => String)
  @Property({ type: 'text' })
  description!: string;

  @Field(() => String)
  @Property({ type: 'text' })
  city!: string;

  @Field(() => Int, { description: 'Most guests allowed at once.' })
  @Property({ type: 'integer' })
  capacity!: number;

  /** Minor units of `priceCurrency`; exposed as `pricePerNight: Money`. */
  @Property({ type: 'integer' })
  priceAmount!: number;

  @Property({ type: 'text', length: 3 })
  priceCurrency!: string;

  /** Once per stay, minor units of `priceCurrency`. */
  @Property({ type: 'integer' })
  cleaningFeeAmount: number = 0;

  @Field(() => String, { description: 'ISO 3166 country code, when known.' })
  @Property({ type: 'text' })
  country: string = '';

  /** Exposed as `category`. */
  @Property({ type: 'uuid', nullable: true })
  categoryId?: string | null;

  @Field(() => Boolean, { description: 'Only published listings can be found and booked.' })
  @Property({ type: 'boolean' })
  published: boolean = true;

  /** A user id owned by the accounts subgraph; no foreign key across databases. */
  @Property({ type: 'uuid' })
  hostId!: string;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
