import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

// Categories change only by an admin adding one; nothing invalidates them, so the age bounds staleness.
@Directive('@cacheControl(maxAge: 600, scope: PUBLIC)')
@ObjectType({ description: 'A kind of bookable thing: rooms, desks, vehicles, tours.' })
@Entity({ tableName: 'categories' })
export class Category {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Field(() => String, { description: 'URL-safe and unique, e.g. "rooms".' })
  @Property({ type: 'text', unique: true })
  slug!: string;

  @Field(() => String)
  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
