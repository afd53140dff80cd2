import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { Exact } from '../domain/exact';

/**
 * Decimal numbers travel as strings ("0.6800"), in and out: a JSON number would
 * be a float somewhere on the way. Inputs that are JSON numbers are refused.
 * Parsed values stay strings; the domain parses them into exact values.
 */
export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'An exact decimal number as a string, e.g. "0.6800" or "22.80". Never a JSON number (no floats in money).',
  serialize(v) {
    if (v instanceof Exact) return v.toDecimalString();
    if (typeof v === 'string') return v;
    throw new GraphQLError('Decimal can only serialize exact values or strings');
  },
  parseValue(v) {
    if (typeof v !== 'string' || !Exact.isDecimal(v)) throw new GraphQLError(`Decimal must be a string like "12.34", got ${JSON.stringify(v)}`);
    return v.trim();
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING || !Exact.isDecimal(ast.value)) throw new GraphQLError('Decimal must be a string literal like "12.34"');
    return ast.value.trim();
  },
});
