import type { GraphQLResolveInfo } from 'graphql';
import type { ChargerEventOf } from '@evcs/events';
import { requireTenant } from '@evcs/platform';
import type { RouterContext } from '../auth';
import type { GatewayExecutor } from '../gateway';
import { forwardFieldToGateway } from './forward';
import type { TenantEventHub } from './pubsub';
import type { RouterResolvers } from './schema';

/** Payload of `Subscription.connectorStatusChanged` (the GraphQL type ConnectorStatusChange). */
export interface ConnectorStatusChange {
  eventId: string;
  tenantId: string;
  chargerCode: string;
  connectorNo: number;
  status: string;
  /** As reported by the charger; OCPP's "NoError" is passed through, not turned into null. */
  errorCode: string | null;
  occurredAt: string;
}

export function toConnectorStatusChange(e: ChargerEventOf<'connector.status_changed'>): ConnectorStatusChange {
  return {
    eventId: e.id,
    tenantId: e.tenantId,
    chargerCode: e.chargerId,
    connectorNo: e.data.connectorId,
    status: e.data.status,
    errorCode: e.data.errorCode ?? null,
    occurredAt: e.occurredAt,
  };
}

export interface ConnectorStatusResolverDeps {
  hub: TenantEventHub<ConnectorStatusChange>;
  execute: GatewayExecutor;
}

export function connectorStatusResolvers(deps: ConnectorStatusResolverDeps): RouterResolvers {
  return {
    Subscription: {
      connectorStatusChanged: {
        subscribe: (_src: unknown, args: { chargerCode?: string | null }, ctx: RouterContext) => {
          const tenantId = requireTenant(ctx.identity, 'Subscription.connectorStatusChanged');
          const code = args.chargerCode ?? null;
          return deps.hub.subscribe(tenantId, (e) => code === null || e.chargerCode === code);
        },
        resolve: (event: ConnectorStatusChange) => event,
      },
    },
    ConnectorStatusChange: {
      charger: {
        resolve: (event: ConnectorStatusChange, _args: unknown, ctx: RouterContext, info: GraphQLResolveInfo) =>
          forwardFieldToGateway(deps.execute, ctx, {
            operationName: 'RouterSubscriptionCharger',
            rootField: 'chargerByCode',
            args: { code: { type: 'String!', value: event.chargerCode } },
            info,
          }),
      },
    },
  };
}
