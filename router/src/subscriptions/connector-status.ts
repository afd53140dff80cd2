import type { GraphQLResolveInfo } from 'graphql';
import type { ChargerEventOf } from '@evcs/events';
import { readScopeOf, requirePermission, requireTenant } from '@evcs/platform';
import type { RouterContext } from '../auth';
import type { GatewayExecutor } from '../gateway';
import { forwardFieldToGateway } from './forward';
import type { HubIterator, TenantEventHub } from './pubsub';
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

/** How long a subscriber's answer "may I see this charger" is reused (a reassignment applies within this). */
const VISIBILITY_TTL_MS = 30_000;

/**
 * Only the events a station-scoped subscriber may see: whether the charger is
 * visible is asked of the graph as the subscriber (assets applies its data
 * scope: `chargerByCode` is null outside the assigned stations), and
 * remembered per charger for a while. Fails closed: an error hides the event.
 * `return` goes straight to the hub, so unsubscribing never waits for an event.
 */
export function visibleOnly<T extends { chargerCode: string }>(source: HubIterator<T>, visible: (chargerCode: string) => Promise<boolean>): HubIterator<T> {
  const it: HubIterator<T> = {
    async next() {
      for (;;) {
        const r = await source.next();
        if (r.done || (await visible(r.value.chargerCode))) return r;
      }
    },
    return: () => source.return(),
    throw: (e?: unknown) => (void source.return(), Promise.reject(e)),
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

/**
 * Whether the subscriber may see a charger's events: asked of the graph as the subscriber
 * (assets applies its data scope: `chargerByCode` is null outside the assigned stations),
 * remembered per charger for a while. Fails closed: an error hides the event.
 */
export function chargerVisibility(execute: GatewayExecutor, ctx: RouterContext): (chargerCode: string) => Promise<boolean> {
  const known = new Map<string, { visible: boolean; at: number }>();
  return async (chargerCode) => {
    const hit = known.get(chargerCode);
    if (hit && Date.now() - hit.at < VISIBILITY_TTL_MS) return hit.visible;
    try {
      const r = await execute(
        {
          query: 'query RouterSubscriptionScope($code: String!) { chargerByCode(code: $code) { id } }',
          operationName: 'RouterSubscriptionScope',
          variables: { code: chargerCode },
        },
        { ...ctx, requestId: `${ctx.requestId}:scope` },
      );
      const visible = Boolean(r.data?.chargerByCode);
      if (known.size > 10_000) known.clear();
      known.set(chargerCode, { visible, at: Date.now() });
      return visible;
    } catch (err) {
      ctx.log.warn({ err, chargerCode }, 'could not tell whether the subscriber may see this charger; event withheld');
      return false;
    }
  };
}

export function connectorStatusResolvers(deps: ConnectorStatusResolverDeps): RouterResolvers {
  return {
    Subscription: {
      connectorStatusChanged: {
        subscribe: (_src: unknown, args: { chargerCode?: string | null }, ctx: RouterContext) => {
          const tenantId = requireTenant(ctx.identity, 'Subscription.connectorStatusChanged');
          // The same rules as reading the connectors: station:read, within the subscriber's data scope.
          const identity = ctx.identity!; // requireTenant saw it
          requirePermission(identity, 'station:read');
          const scope = readScopeOf(identity);
          const code = args.chargerCode ?? null;
          // A SELF scope owns no chargers: the subscription stays open and delivers nothing of others.
          if (scope.scope === 'SELF') return deps.hub.subscribe(tenantId, () => false);
          const events = deps.hub.subscribe(tenantId, (e) => code === null || e.chargerCode === code);
          if (scope.stationIds === null) return events;
          return visibleOnly(events, chargerVisibility(deps.execute, ctx));
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
