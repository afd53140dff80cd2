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
  OPERATION_RESOLUTION_FAILURE: 'The operation to run could not be determined (several operations and no or an unknown operationName).',
});
