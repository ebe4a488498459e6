import { IsEmail, IsIn, Length } from 'class-validator';
import { Arg, Ctx, Directive, Field, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { AuthService, type Session } from '../auth/AuthService';
import { Role, User } from '../entities/User';
import type { AccountsContext } from '../loaders';

@ObjectType({ description: 'A signed-in session: a short-lived access token and a rotating refresh token.' })
class AuthPayload {
  @Field(() => String, { description: 'Send as `Authorization: Bearer <token>`.' })
  accessToken!: string;

  @Field(() => Date)
  accessTokenExpiresAt!: Date;

  @Field(() => String, { description: 'Single use: `refreshToken` returns a new one. Store it securely.' })
  refreshToken!: string;

  @Field(() => Date)
  refreshTokenExpiresAt!: Date;

  @Field(() => User)
  user!: User;
}

@InputType()
class RegisterInput {
  @Field(() => String)
  @IsEmail({}, { message: 'email must be an email address' })
  email!: string;

  @Field(() => String)
  @Length(10, 200, { message: 'password must be 10 to 200 characters' })
  password!: string;

  @Field(() => String)
  @Length(1, 100, { message: 'displayName must be 1 to 100 characters' })
  displayName!: string;

  @Field(() => Role, { defaultValue: Role.GUEST, description: 'GUEST or HOST; admins are appointed, not registered.' })
  @IsIn([Role.GUEST, Role.HOST], { message: 'role must be GUEST or HOST' })
  role: Role = Role.GUEST;
}

@InputType()
class LoginInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;
}

function payload(session: Session, context: AccountsContext): AuthPayload {
  context.loaders.signedInAs.add(session.user.id);
  return Object.assign(new AuthPayload(), session);
}

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: 'Creates an account and signs it in.' })
  async register(@Arg('input', () => RegisterInput) input: RegisterInput, @Ctx() context: AccountsContext): Promise<AuthPayload> {
    return payload(await new AuthService(context.em, context.services).register(input), context);
  }

  @Mutation(() => AuthPayload, { description: 'UNAUTHENTICATED for a wrong email or password (not saying which).' })
  async login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() context: AccountsContext): Promise<AuthPayload> {
    return payload(await new AuthService(context.em, context.services).login(input.email, input.password), context);
  }

  @Mutation(() => AuthPayload, { description: 'Trades a refresh token for a new session; the old token stops working.' })
  async refreshToken(@Arg('refreshToken', () => String) refreshToken: string, @Ctx() context: AccountsContext): Promise<AuthPayload> {
    return payload(await new AuthService(context.em, context.services).refresh(refreshToken), context);
  }

  @Mutation(() => Boolean, { description: 'Revokes the login the refresh token belongs to.' })
  async logout(@Arg('refreshToken', () => String) refreshToken: string, @Ctx() context: AccountsContext): Promise<boolean> {
    await new AuthService(context.em, context.services).logout(refreshToken);
    return true;
  }

  @Directive('@authenticated')
  @Mutation(() => User, {
    description:
      'Deletes the signed-in account (the password is asked again): personal data is erased, every session ends and ' +
      'its access tokens are refused at once. UNAUTHENTICATED for a wrong password.',
  })
  deleteAccount(@Arg('password', () => String) password: string, @Ctx() context: AccountsContext): Promise<User> {
    return new AuthService(context.em, context.services).deleteAccount(context.viewer, password);
  }

  @Query(() => User, { nullable: true, description: 'The signed-in user; null when anonymous.' })
  viewer(@Ctx() context: AccountsContext): Promise<User | null> | null {
    return context.viewer ? context.loaders.userById.load(context.viewer.userId) : null;
  }
}
