import { ConnectionArgs, connectionType, Forbidden, hasScope, InvalidInput } from '@booking/runtime';
import { IsOptional, Length, Matches, Max, Min } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { Arg, Args, ArgsType, Ctx, Directive, Field, Int, Mutation, Query, Resolver, registerEnumType } from 'type-graphql';
import { Category } from '../entities/Category';
import { Listing } from '../entities/Listing';
import type { CatalogContext } from '../loaders';
import { ListingSort, searchListings } from '../services/ListingSearch';

registerEnumType(ListingSort, { name: 'ListingSort' });

const SearchConnection = connectionType('ListingSearch', Listing);

@ArgsType()
class SearchListingsArgs extends ConnectionArgs {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 100)
  city?: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 3166 alpha-2.' })
  @IsOptional()
  @Matches(/^[A-Za-z]{2}$/, { message: 'country must be a two-letter ISO 3166 code' })
  country?: string | null;

  @Field(() => Date, { nullable: true, description: 'With endsAt: only listings free for the whole stay.' })
  startsAt?: Date | null;

  @Field(() => Date, { nullable: true })
  endsAt?: Date | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @Min(1, { message: 'guests must be at least 1' })
  @Max(100)
  guests?: number | null;

  @Field(() => Int, { nullable: true, description: 'Lowest nightly price, minor units.' })
  @IsOptional()
  @Min(0)
  minPrice?: number | null;

  @Field(() => Int, { nullable: true, description: 'Highest nightly price, minor units.' })
  @IsOptional()
  @Min(0)
  maxPrice?: number | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  category?: string | null;

  @Field(() => ListingSort, { defaultValue: ListingSort.PRICE_ASC })
  sort: ListingSort = ListingSort.PRICE_ASC;
}

@Resolver()
export class SearchResolver {
  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)')
  // A search is a range query over availability (GiST), dearer than a page of listings.
  @Directive('@cost(weight: 5)')
  @Query(() => SearchConnection, { description: 'Published listings that fit a stay: place, dates (free for all of them), guests, price, category.' })
  searchListings(@Args(() => SearchListingsArgs) args: SearchListingsArgs, @Ctx() context: CatalogContext) {
    return searchListings(context.em, { ...args, categorySlug: args.category });
  }

  @Directive('@listSize(assumedSize: 20)')
  @Query(() => [Category])
  categories(@Ctx() context: CatalogContext): Promise<Category[]> {
    return context.em.find(Category, {}, { orderBy: { name: 'asc' } });
  }

  @Directive('@requiresScopes(scopes: [["admin"]])')
  @Mutation(() => Category, { description: 'Adds a category (admins).' })
  async createCategory(
    @Arg('slug', () => String) slug: string,
    @Arg('name', () => String) name: string,
    @Ctx() context: CatalogContext,
  ): Promise<Category> {
    if (!hasScope(context.viewer, 'admin')) throw new Forbidden('only admins manage categories');
    if (!/^[a-z0-9-]{1,50}$/.test(slug)) throw new InvalidInput('slug', 'use 1 to 50 lower-case letters, digits and dashes');
    if (await context.em.findOne(Category, { slug })) throw new InvalidInput('slug', 'is taken');
    const category = context.em.create(Category, { id: randomUUID(), slug, name: name.trim(), createdAt: new Date() });
    await context.em.flush();
    return category;
  }
}
