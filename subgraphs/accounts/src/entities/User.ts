import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum Role {
  GUEST = 'GUEST',
  HOST = 'HOST',
  ADMIN = 'ADMIN',
}
registerEnumType(Role, { name: 'Role', description: 'What a user may do: book, host listings, or administer.' });

@Directive('@key(fields: "id")')
// The public profile (name, role, dates) is the same for every viewer; email is PRIVATE (UserResolver).
@Directive('@cacheControl(maxAge: 60, scope: PUBLIC)')
@ObjectType({ description: 'A person with an account: a guest who books, a host who lists, or an admin.' })
@Entity({ tableName: 'users' })
export class User {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  /** Exposed through UserResolver.email (owner and admins only). */
  @Property({ type: 'text', unique: 'users_email_key' })
  email!: string;

  @Field(() => String)
  @Property({ type: 'text' })
  displayName!: string;

  @Field(() => Role)
  @Enum({ items: () => Role, type: 'text' })
  role!: Role;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  /**
   * Set when the account was deleted. The row stays, anonymised (see UserService.delete), because
   * bookings and invoices in other subgraphs keep referring to this id.
   */
  @Field(() => Date, { nullable: true, description: 'When the account was deleted (its personal data is erased); null while it exists.' })
  @Property({ type: 'datetime', nullable: true })
  deletedAt?: Date | null;

  /** argon2id; never exposed through GraphQL. */
  @Property({ type: 'text', nullable: true, hidden: true })
  passwordHash?: string | null;
}
