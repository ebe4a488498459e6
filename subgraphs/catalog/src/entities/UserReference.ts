import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** accounts owns User; catalog only points at one (a listing's host). */
@Directive('@key(fields: "id", resolvable: false)')
@ObjectType('User')
export class UserReference {
  @Field(() => ID)
  id!: string;

  static of(id: string): UserReference {
    return Object.assign(new UserReference(), { id });
  }
}
