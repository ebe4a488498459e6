import { ConnectionArgs, connectionType, Forbidden, hasScope, Money, MoneyInput, type Viewer } from '@booking/runtime';
import { IsOptional, IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { Arg, Args, ArgsType, Ctx, Directive, Field, FieldResolver, ID, InputType, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Category } from '../entities/Category';
import { Listing } from '../entities/Listing';
import { UserReference } from '../entities/UserReference';
import type { CatalogContext } from '../loaders';
import { ListingService } from '../services/ListingService';

const ListingConnection = connectionType('Listing', Listing);

@ArgsType()
class ListingsArgs extends ConnectionArgs {
  @Field(() => String, { nullable: true, description: 'Only listings in this city (case-insensitive).' })
  @Length(1, 100)
  city?: string | null;
}

@InputType()
class CreateListingInput {
  @Field(() => String)
  @Length(1, 200, { message: 'title must be 1 to 200 characters' })
  title!: string;

  @Field(() => String, { defaultValue: '' })
  @Length(0, 5000)
  description: string = '';

  @Field(() => String)
  @Length(1, 100, { message: 'city must be 1 to 100 characters' })
  city!: string;

  @Field(() => Int)
  @Min(1, { message: 'capacity must be at least 1' })
  @Max(100)
  capacity!: number;

  @Field(() => MoneyInput)
  @ValidateNested()
  pricePerNight!: MoneyInput;

  @Field(() => MoneyInput, { nullable: true, description: 'Charged once per stay, in the currency of pricePerNight.' })
  @IsOptional()
  @ValidateNested()
  cleaningFee?: MoneyInput | null;

  @Field(() => String, { nullable: true, description: 'ISO 3166 alpha-2 country code.' })
  @IsOptional()
  @Matches(/^[A-Za-z]{2}$/, { message: 'country must be a two-letter ISO 3166 code' })
  country?: string | null;

  @Field(() => Boolean, { defaultValue: true, description: 'Publish at once (bookable), or keep as a draft.' })
  publish: boolean = true;

  @Field(() => String, { nullable: true, description: 'Slug of an existing category.' })
  @IsOptional()
  category?: string | null;

  @Field(() => ID, { nullable: true, description: 'Admins may list on behalf of a host; hosts list as themselves.' })
  @IsOptional()
  @IsUUID('all', { message: 'hostId must be a user id' })
  hostId?: string | null;
}

@InputType({ description: 'Only the fields given change.' })
class UpdateListingInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200, { message: 'title must be 1 to 200 characters' })
  title?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(0, 5000)
  description?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 100, { message: 'city must be 1 to 100 characters' })
  city?: string;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @Min(1, { message: 'capacity must be at least 1' })
  @Max(100)
  capacity?: number;

  @Field(() => MoneyInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  pricePerNight?: MoneyInput;

  @Field(() => MoneyInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  cleaningFee?: MoneyInput;
}

/** GraphQL null means "leave unchanged" for every optional field of an update. */
function definedOnly<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== null && value !== undefined)) as Partial<T>;
}

/** Hosts list as themselves; only an admin may name another host. */
function listingHost(viewer: Viewer | null, requested: string | null | undefined): string {
  if (!viewer) throw new Forbidden('sign in as a host to create listings');
  if (!requested || requested === viewer.userId) return viewer.userId;
  if (hasScope(viewer, 'admin')) return requested;
  throw new Forbidden('only admins may create listings for another host');
}

@Resolver(() => Listing)
export class ListingResolver {
  // The same answer for every viewer, evicted with the listing: the router may cache it (README "Caching").
  @Directive('@cacheControl(maxAge: 60, scope: PUBLIC)')
  @Query(() => Listing, { nullable: true, description: 'A listing by id; null when there is none.' })
  listing(@Arg('id', () => ID) id: string, @Ctx() context: CatalogContext): Promise<Listing | null> {
    return context.loaders.listingById.load(id);
  }

  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)')
  @Query(() => ListingConnection, { description: 'Listings, oldest first, optionally in one city.' })
  listings(@Args(() => ListingsArgs) args: ListingsArgs, @Ctx() context: CatalogContext) {
    return new ListingService(context.em).list(args);
  }

  @Directive('@requiresScopes(scopes: [["listings:write"]])')
  @Mutation(() => Listing, { description: 'Lists something for booking; the signed-in host owns it.' })
  createListing(@Arg('input', () => CreateListingInput) input: CreateListingInput, @Ctx() context: CatalogContext) {
    return new ListingService(context.em).create({ ...input, hostId: listingHost(context.viewer, input.hostId) });
  }

  @Directive('@cacheControl(inheritMaxAge: true)')
  @FieldResolver(() => UserReference, {
    nullable: true,
    description: 'The host who offers this listing; null only when accounts cannot answer (see errors).',
  })
  host(@Root() listing: Listing): UserReference {
    return UserReference.of(listing.hostId);
  }

  @Directive('@requiresScopes(scopes: [["listings:write"]])')
  @Mutation(() => Listing, { description: 'Changes a listing (its host or an admin).' })
  updateListing(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateListingInput) input: UpdateListingInput,
    @Ctx() context: CatalogContext,
  ) {
    return new ListingService(context.em).update(id, context.viewer, definedOnly(input));
  }

  @Directive('@requiresScopes(scopes: [["listings:write"]])')
  @Mutation(() => Listing, { description: 'Makes a listing findable and bookable (its host or an admin).' })
  publishListing(@Arg('id', () => ID) id: string, @Ctx() context: CatalogContext) {
    return new ListingService(context.em).update(id, context.viewer, { published: true });
  }

  @Directive('@requiresScopes(scopes: [["listings:write"]])')
  @Mutation(() => Listing, { description: 'Hides a listing; existing bookings stay (its host or an admin).' })
  unpublishListing(@Arg('id', () => ID) id: string, @Ctx() context: CatalogContext) {
    return new ListingService(context.em).update(id, context.viewer, { published: false });
  }

  @FieldResolver(() => Category, { nullable: true })
  category(@Root() listing: Listing, @Ctx() context: CatalogContext): Promise<Category | null> | null {
    return listing.categoryId ? context.loaders.categoryById.load(listing.categoryId) : null;
  }

  @Directive('@cacheControl(inheritMaxAge: true)')
  @FieldResolver(() => Money, { description: 'Charged once per stay.' })
  cleaningFee(@Root() listing: Listing): Money {
    return Money.of(listing.cleaningFeeAmount, listing.priceCurrency);
  }

  @Directive('@cacheControl(inheritMaxAge: true)')
  @FieldResolver(() => Money, { description: 'Price of one night (or one booked day) before fees.' })
  pricePerNight(@Root() listing: Listing): Money {
    return Money.of(Number(listing.priceAmount), listing.priceCurrency);
  }
}
