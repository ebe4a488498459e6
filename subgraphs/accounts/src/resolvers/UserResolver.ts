import { ConnectionArgs, connectionType, Forbidden, hasScope } from '@booking/runtime';
import { IsEmail, Length } from 'class-validator';
import { Arg, Args, Ctx, Directive, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import { AuthService } from '../auth/AuthService';
import { Role, User } from '../entities/User';
import type { AccountsContext } from '../loaders';
import { UserService } from '../services/UserService';

const UserConnection = connectionType('User', User);

@InputType()
class CreateUserInput {
  @Field(() => String)
  @IsEmail({}, { message: 'email must be an email address' })
  email!: string;

  @Field(() => String)
  @Length(1, 100, { message: 'displayName must be 1 to 100 characters' })
  displayName!: string;

  @Field(() => Role, { defaultValue: Role.GUEST })
  role: Role = Role.GUEST;
}

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: 'A user by id; null when there is none. A deleted account answers anonymised, with deletedAt.' })
  user(@Arg('id', () => ID) id: string, @Ctx() context: AccountsContext): Promise<User | null> {
    return context.loaders.userById.load(id);
  }

  @Directive('@requiresScopes(scopes: [["admin"]])')
  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)')
  @Query(() => UserConnection, { description: 'All users, oldest first (admins only).' })
  users(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() context: AccountsContext) {
    return new UserService(context.em).list(args);
  }

  // Viewer-dependent (owner and admins only): never shared across viewers.
  @Directive('@cacheControl(maxAge: 10, scope: PRIVATE)')
  @FieldResolver(() => String, { nullable: true, description: 'Unique, lower-case; visible to its owner and to admins.' })
  email(@Root() user: User, @Ctx() context: AccountsContext): string {
    if (user.deletedAt) throw new Forbidden('the account was deleted; its email is erased');
    const own = context.viewer?.userId === user.id || context.loaders.signedInAs.has(user.id);
    if (own || hasScope(context.viewer, 'admin')) return user.email;
    throw new Forbidden('email is visible only to its owner and to admins');
  }

  @Directive('@requiresScopes(scopes: [["admin"]])')
  @Mutation(() => User, {
    description:
      'Deletes a user (admins only): personal data is erased (the id stays, shown as "Deleted user", with deletedAt), every ' +
      'session ends and the access tokens are refused at once by every router. NOT_FOUND for an unknown id; repeating it is harmless.',
  })
  deleteUser(@Arg('id', () => ID) id: string, @Ctx() context: AccountsContext): Promise<User> {
    return new AuthService(context.em, context.services).deleteUser(context.viewer, id);
  }

  @Directive('@requiresScopes(scopes: [["admin"]])')
  @Mutation(() => User, { description: 'Creates an account with any role (admins only); people sign up with `register`.' })
  createUser(@Arg('input', () => CreateUserInput) input: CreateUserInput, @Ctx() context: AccountsContext): Promise<User> {
    return new UserService(context.em).create(input);
  }
}
