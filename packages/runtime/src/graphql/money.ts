import { Matches, Min, Max } from 'class-validator';
import { Directive, Field, InputType, Int, ObjectType } from 'type-graphql';

/**
 * Money is integer minor units plus an ISO 4217 code, never a float. Every subgraph that
 * mentions money uses this one definition, which is why it is `@shareable`.
 */
@Directive('@shareable')
@ObjectType({ description: 'An amount of money in integer minor units (cents) of an ISO 4217 currency.' })
export class Money {
  @Field(() => Int, { description: 'Amount in minor units, e.g. 12500 for 125.00 EUR.' })
  amount!: number;

  @Field(() => String, { description: 'ISO 4217 currency code, e.g. EUR.' })
  currency!: string;

  static of(amount: number, currency: string): Money {
    return Object.assign(new Money(), { amount, currency });
  }
}

@InputType({ description: 'An amount of money in integer minor units of an ISO 4217 currency.' })
export class MoneyInput {
  @Field(() => Int)
  @Min(0)
  @Max(1_000_000_000)
  amount!: number;

  @Field(() => String)
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a three-letter ISO 4217 code such as EUR' })
  currency!: string;
}
