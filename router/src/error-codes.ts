import { defineCodes } from '@evcs/platform';

/**
 * Codes the router answers with itself, beside the platform's (ErrorCodes) that the subgraphs'
 * errors carry through: Apollo Server's request errors, which the graphql-ws path answers with
 * too, so a client handles one set of codes on both transports.
 */
export const RouterErrorCodes = defineCodes({
  GRAPHQL_PARSE_FAILED: 'The document is not valid GraphQL syntax.',
  GRAPHQL_VALIDATION_FAILED: 'The operation does not validate against the API schema (unknown field, wrong argument type…).',
  BAD_REQUEST: 'The request is malformed: not JSON, no operation to run, or a query or mutation sent over WebSocket (only subscriptions are served there).',
  METHOD_NOT_ALLOWED: 'Not an HTTP POST (405): queries and mutations are POSTed to /graphql, subscriptions go over a graphql-transport-ws WebSocket.',
  PERSISTED_QUERY_NOT_FOUND: 'An automatic persisted query hash the router does not know; send the full query once.',
  PERSISTED_QUERY_NOT_SUPPORTED: 'Persisted queries are not enabled.',
  MAX_DEPTH_EXCEEDED: 'The operation nests deeper than ROUTER_MAX_DEPTH allows.',
  MAX_ALIASES_EXCEEDED: 'The operation has more aliases than ROUTER_MAX_ALIASES allows.',
  MAX_DIRECTIVES_EXCEEDED: 'The operation has more directives than ROUTER_MAX_DIRECTIVES allows.',
  MAX_TOKENS_EXCEEDED: 'The document has more tokens than ROUTER_MAX_TOKENS allows.',
  MAX_COST_EXCEEDED:
    "The operation's estimated cost (fields weighted by their lists' page sizes) is above ROUTER_MAX_COST: ask for smaller pages or fewer fields.",
  RATE_LIMITED: 'Too many sign-ins, refreshes or requests (ROUTER_RATE_*): answered with HTTP 429 and Retry-After; retry after it.',
  OPERATION_RESOLUTION_FAILURE: 'The operation to run could not be determined (several operations and no or an unknown operationName).',
});
