import { ConnectionArgs, connectionType, Forbidden, hasScope, Money, MoneyInput, type Viewer } from '@booking/runtime';
import { IsOptional, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';
import { Arg, Args, ArgsType, Ctx, Directive, Field, FieldResolver, ID, InputType, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
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

  @Field(() => ID, { nullable: true, description: 'Admins may list on behalf of a host; hosts list as themselves.' })
  @IsOptional()
  @IsUUID('all', { message: 'hostId must be a user id' })
  hostId?: string | null;
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
  @Query(() => Listing, { nullable: true, description: 'A listing by id; null when there is none.' })
  listing(@Arg('id', () => ID) id: string, @Ctx() context: CatalogContext): Promise<Listing | null> {
    return context.loaders.listingById.load(id);
  }

  @Query(() => ListingConnection, { description: 'Listings, oldest first, optionally in one city.' })
  listings(@Args(() => ListingsArgs) args: ListingsArgs, @Ctx() context: CatalogContext) {
    return new ListingService(context.em).list(args);
  }

  @Directive('@requiresScopes(scopes: [["listings:write"]])')
  @Mutation(() => Listing, { description: 'Lists something for booking; the signed-in host owns it.' })
  createListing(@Arg('input', () => CreateListingInput) input: CreateListingInput, @Ctx() context: CatalogContext) {
    return new ListingService(context.em).create({ ...input, hostId: listingHost(context.viewer, input.hostId) });
  }

  @FieldResolver(() => UserReference, {
    nullable: true,
    description: 'The host who offers this listing; null only when accounts cannot answer (see errors).',
  })
  host(@Root() listing: Listing): UserReference {
    return UserReference.of(listing.hostId);
  }

  @FieldResolver(() => Money, { description: 'Price of one night (or one booked day) before fees.' })
  pricePerNight(@Root() listing: Listing): Money {
    return Money.of(Number(listing.priceAmount), listing.priceCurrency);
  }
}
