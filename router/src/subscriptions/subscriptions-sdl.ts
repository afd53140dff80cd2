/**
 * The router-owned part of the API: subscription types, served by the router
 * itself over graphql-ws and layered on the supergraph's API schema.
 *
 * Kept as a string so it ships in the compiled package (tsc copies no .graphql
 * files); `subscriptions.graphql` beside this file is the same text for
 * reviewers and tooling, and a unit test keeps the two identical.
 */
export const SUBSCRIPTIONS_SDL = /* GraphQL */ `type ConnectorStatusChange {
  eventId: ID!
  chargerCode: String!
  connectorNo: Int!
  status: String!
  errorCode: String
  occurredAt: String!
  """The charger, resolved through the federated graph with the subscriber's identity"""
  charger: Charger
}
type Subscription {
  connectorStatusChanged(chargerCode: String): ConnectorStatusChange!
}
`;
