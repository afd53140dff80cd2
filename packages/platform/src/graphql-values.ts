import 'reflect-metadata';
import { GraphQLSafeInt } from 'graphql-scalars';
import { Directive, Field, ObjectType } from 'type-graphql';
import { energyFromKwh, energyFromWh } from './energy';
import { formatMoney, type Money } from './money';

/**
 * The GraphQL shapes of the platform's value types, one class each, included
 * by every subgraph that states an amount or an energy. Federation merges the
 * identical definitions (@shareable).
 *
 * `minor` is a SafeInt (53 bits), not an Int: GraphQL's Int is 32-bit, which
 * stops at 21 474 836.47 yuan — enough for a session, not for totals.
 */
@Directive('@shareable')
@ObjectType('Money', { description: 'An amount of money in integer minor units of its currency (fen for CNY); never a float.' })
export class MoneyObject {
  @Field(() => GraphQLSafeInt, { description: 'integer minor units (fen for CNY)' }) minor!: number;
  @Field({ description: 'ISO 4217 code' }) currency!: string;
  @Field({ description: 'major units with exactly the currency\'s decimals, e.g. "12.34" (CNY), "1234" (JPY)' }) formatted!: string;
}

@Directive('@shareable')
@ObjectType('Energy', { description: 'An amount of energy, exact (never a float).' })
export class EnergyObject {
  @Field({ description: 'watt-hours, exact decimal string, e.g. "12345" or "1234.5"' }) wh!: string;
  @Field({ description: 'the same in kWh, exact, at least 3 decimals, e.g. "12.345"' }) kwh!: string;
}

export const moneyObject = (m: Money): MoneyObject => Object.assign(new MoneyObject(), { minor: m.minor, currency: m.currency, formatted: formatMoney(m) });

export const energyObject = (wh: number | string): EnergyObject => Object.assign(new EnergyObject(), energyFromWh(wh));

export const energyObjectFromKwh = (kwh: string): EnergyObject => Object.assign(new EnergyObject(), energyFromKwh(kwh));

/** An expected failure of a mutation, as every subgraph's payloads state it (the platform's UserError). */
@Directive('@shareable')
@ObjectType('UserError', { description: 'An expected failure of a mutation: nothing was changed.' })
export class UserErrorObject {
  @Field({ description: 'Stable, machine-readable code' }) code!: string;
  @Field(() => String, { nullable: true, description: 'The input field at fault, as a path: `segments[3].start`' }) field!: string | null;
  @Field({ description: 'For a person' }) message!: string;
}

/** A payload's `userErrors`: none when the outcome succeeded. */
export const userErrorsOf = (o: { ok: true } | { ok: false; errors: readonly { code: string; field: string | null; message: string }[] }): UserErrorObject[] =>
  o.ok ? [] : o.errors.map((e) => Object.assign(new UserErrorObject(), { code: e.code, field: e.field, message: e.message }));
