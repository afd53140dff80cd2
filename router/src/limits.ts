import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, type DocumentNode, type ValidationContext, type ValidationRule } from 'graphql';
import { LRUCache } from 'lru-cache';
import { AppError } from '@evcs/platform';
import { RouterErrorCodes } from './error-codes';

/**
 * How big an operation the router runs. Each bound is checked before anything
 * executes, over HTTP and graphql-ws alike, and each refusal has its own code.
 */
export interface QueryLimits {
  /** nesting of selections (introspection fields aside) */
  maxDepth: number;
  /** aliased fields in the whole operation (500 aliases of one expensive field = 500 calls) */
  maxAliases: number;
  /** directives in the whole operation */
  maxDirectives: number;
  /** lexical tokens of the document: bounds parsing itself */
  maxTokens: number;
  /** graphql-armor's cost: objects 2, scalars 1, each level ×1.5, a list ×its literal `first`/`last` */
  maxCost: number;
  /**
   * Introspection and "Did you mean …" field suggestions (which leak the schema
   * piecemeal with introspection off): both on, or both off.
   */
  introspection: boolean;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 10,
  maxAliases: 30,
  maxDirectives: 20,
  maxTokens: 2000,
  // a page of 500 stations with their chargers and connectors costs ~21,000
  maxCost: 50_000,
  introspection: false,
};

/** extensions.code of each refusal: the limit it names. */
export const LimitCodes = {
  maxDepth: RouterErrorCodes.MAX_DEPTH_EXCEEDED,
  maxAliases: RouterErrorCodes.MAX_ALIASES_EXCEEDED,
  maxDirectives: RouterErrorCodes.MAX_DIRECTIVES_EXCEEDED,
  maxTokens: RouterErrorCodes.MAX_TOKENS_EXCEEDED,
  maxCost: RouterErrorCodes.MAX_COST_EXCEEDED,
} as const;

/**
 * graphql-armor reports a refusal through this callback instead of throwing. The
 * error carries an AppError as its original error, so the code survives Apollo
 * (which stamps every validation error GRAPHQL_VALIDATION_FAILED) through the
 * platform's formatError, and the HTTP status stays 400.
 */
const refuseWith =
  (code: string) =>
  (ctx: ValidationContext | null, error: GraphQLError): void => {
    const message = error.message.replace(/^Syntax Error: /, '');
    ctx?.reportError(new GraphQLError(message, { nodes: error.nodes, originalError: new AppError(code, message), extensions: { code } }));
  };

const armor = <T>(n: T, code: string) => ({ propagateOnRejection: false, onReject: [refuseWith(code)], exposeLimits: true, n });

/** The validation rules of the limits (depth, aliases, directives, cost), for Apollo and for graphql-ws. */
export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  return [
    maxDepthRule({ ...armor(limits.maxDepth, LimitCodes.maxDepth), ignoreIntrospection: true }),
    maxAliasesRule(armor(limits.maxAliases, LimitCodes.maxAliases)),
    maxDirectivesRule(armor(limits.maxDirectives, LimitCodes.maxDirectives)),
    costLimitRule({ ...armor(undefined, LimitCodes.maxCost), maxCost: limits.maxCost, ignoreIntrospection: true }),
  ];
}

/**
 * Parse with the token bound: the lexer stops at token `maxTokens + 1`, so a
 * huge document costs no more than a small one to refuse. Throws a GraphQLError
 * coded MAX_TOKENS_EXCEEDED, or the parser's own syntax error.
 */
export function parseWithinLimits(source: string, limits: Pick<QueryLimits, 'maxTokens'>): DocumentNode {
  const code = LimitCodes.maxTokens;
  const parser = new MaxTokensParserWLexer(source, {
    n: limits.maxTokens,
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [
      (_ctx: unknown, error: GraphQLError) => {
        const message = error.message.replace(/^Syntax Error: /, '');
        throw new GraphQLError(message, { originalError: new AppError(code, message), extensions: { code } });
      },
    ],
  });
  return parser.parseDocument();
}

/** graphql-js' suggestion suffix; masked where introspection is off. */
const SUGGESTION = / ?Did you mean .+\?$/;

export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, '');
}

/**
 * Documents that parsed within the bound, by their source text. Clients send the
 * same few operations over and over; parsing each again was a few % of the
 * router's CPU per request. Only documents that passed are kept (a refusal is
 * cheap to repeat, and must not fill the cache), and the cache belongs to one
 * bound: a changed limit starts a new one.
 */
const parsedDocuments = new WeakMap<Pick<QueryLimits, 'maxTokens'>, LRUCache<string, DocumentNode>>();

function parsedCache(limits: Pick<QueryLimits, 'maxTokens'>): LRUCache<string, DocumentNode> {
  let cache = parsedDocuments.get(limits);
  if (!cache) {
    // ~1,000 operations of typical size; a document is bounded by maxTokens, its source by the body limit
    cache = new LRUCache<string, DocumentNode>({ max: 1000, maxSize: 8 * 1024 * 1024, sizeCalculation: (_doc, source) => Math.max(1, source.length) });
    parsedDocuments.set(limits, cache);
  }
  return cache;
}

/**
 * The document of an HTTP request body, parsed within the token bound before
 * anything else reads it: a document past the bound is refused (400
 * MAX_TOKENS_EXCEEDED). Undefined when there is no single query to parse or it
 * does not parse (Apollo answers that with its own error). The same source
 * gives the same (shared, not to be modified) document.
 */
export function documentWithinLimits(body: unknown, limits: Pick<QueryLimits, 'maxTokens'>): DocumentNode | undefined {
  const query = body && typeof body === 'object' && !Array.isArray(body) ? (body as { query?: unknown }).query : undefined;
  if (typeof query !== 'string') return undefined;
  const cache = parsedCache(limits);
  const hit = cache.get(query);
  if (hit) return hit;
  try {
    const document = parseWithinLimits(query, limits);
    cache.set(query, document);
    return document;
  } catch (e) {
    const original = e instanceof GraphQLError ? e.originalError : undefined;
    if (original instanceof AppError) throw Object.assign(original, { status: 400 });
    return undefined;
  }
}
