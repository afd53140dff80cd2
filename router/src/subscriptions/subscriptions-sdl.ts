/**
 * The router-owned part of the API: subscription types, served by the router
 * itself over graphql-ws and layered on the supergraph's API schema.
 *
 * Kept as a string so it ships in the compiled package (tsc copies no .graphql
 * files); `subscriptions.graphql` beside this file is the same text for
 * reviewers and tooling, and a unit test keeps the two identical.
 */
export const SUBSCRIPTIONS_SDL = /* GraphQL */ `"""A connector's status as its charger reported it (OCPP StatusNotification, YKC real-time data)."""
type ConnectorStatusChange {
  """The id of the charger event this change comes from"""
  eventId: ID!
  chargerCode: String!
  connectorNo: Int!
  """The OCPP 1.6 status (Available, Preparing, Charging, Finishing, Faulted…)"""
  status: String!
  """The charger's error code with the status (OCPP ChargePointErrorCode), if any"""
  errorCode: String
  """When the charger says it happened (ISO 8601)"""
  occurredAt: String!
  """The charger, resolved through the federated graph with the subscriber's identity"""
  charger: Charger
}
"""A change in the lifecycle of a command sent to a charger (the state assets committed)."""
type ChargerCommandUpdate {
  """The id of this update"""
  id: ID!
  """The command (Query.chargerCommand has all of it)"""
  commandId: ID!
  chargerId: ID!
  chargerCode: String!
  """The command's type on the command topic: charger.reset, connector.unlock, config.get, time.sync…"""
  type: String!
  """PENDING, SENT, ACCEPTED, REJECTED, FAILED or TIMED_OUT"""
  status: String!
  """Why it was refused or failed, if it was"""
  reason: String
  """Who asked: user id or service name"""
  requestedBy: String!
  """When the change happened (ISO 8601)"""
  occurredAt: String!
  """The charger, resolved through the federated graph with the subscriber's identity"""
  charger: Charger
}
type Subscription {
  """Connector status changes in the subscriber's tenant, within its station scope (station:read), over graphql-ws; only one charger's with chargerCode"""
  connectorStatusChanged(chargerCode: String): ConnectorStatusChange!
  """Lifecycle changes of commands sent to chargers in the subscriber's tenant, within its station scope (charger:command), over graphql-ws; only one charger's with chargerId"""
  chargerCommandUpdated(chargerId: ID): ChargerCommandUpdate!
  """A running session's progress (ChargingOrder.progress) over graphql-ws: first what the order holds when the subscription starts, then at each later meter reading of it, never an older reading than one pushed before; for the order's own driver (SELF) or staff who may read the order within their data scope (order(id) asked as the subscriber); null once the order ended"""
  orderProgress(orderId: ID!): OrderProgress
}
`;
