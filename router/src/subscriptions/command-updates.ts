import type { GraphQLResolveInfo } from 'graphql';
import { COMMAND_UPDATES_PARTITIONS, COMMAND_UPDATES_TOPIC, decodeChargerCommandUpdate, InvalidEventError, type ChargerCommandUpdate } from '@evcs/events';
import { readScopeOf, requirePermission, requireTenant, type EventBus, type Logger, type Subscription } from '@evcs/platform';
import type { RouterContext } from '../auth';
import type { GatewayExecutor } from '../gateway';
import { chargerVisibility, visibleOnly } from './connector-status';
import { RecentIds } from './feed';
import { forwardFieldToGateway } from './forward';
import type { TenantEventHub } from './pubsub';
import type { RouterResolvers } from './schema';

/** Payload of `Subscription.chargerCommandUpdated` (the GraphQL type ChargerCommandUpdate). */
export type CommandUpdate = ChargerCommandUpdate;

export interface CommandUpdateFeedOptions {
  bus: EventBus;
  /** Default: the base name (no namespace). */
  topic?: string;
  /** Unique per router instance, like the charger-event feed's: every instance sees every update. */
  groupId: string;
  logger: Logger;
  hub: TenantEventHub<CommandUpdate>;
}

/**
 * The router's live feed of command updates (assets' outbox): from the latest offset, invalid
 * ones dropped with a log line, redeliveries dropped by id, each handed to its tenant's subscribers.
 */
export async function startCommandUpdateFeed(opts: CommandUpdateFeedOptions): Promise<Subscription> {
  const seen = new RecentIds(10_000);
  const topic = opts.topic ?? COMMAND_UPDATES_TOPIC;
  // created here too, if the router starts before assets
  await opts.bus.ensureTopics([{ topic, partitions: COMMAND_UPDATES_PARTITIONS }]);
  return opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [topic],
    fromBeginning: false,
    handleBatch: async (messages) => {
      for (const m of messages) {
        if (opts.hub.size === 0) continue;
        let u: CommandUpdate;
        try {
          u = decodeChargerCommandUpdate(m.value);
        } catch (e) {
          if (!(e instanceof InvalidEventError)) throw e;
          opts.logger.warn({ topic: m.topic, partition: m.partition, offset: m.offset, reason: e.message }, 'skipping invalid command update');
          continue;
        }
        if (!seen.checkAndAdd(u.id)) opts.hub.publish(u.tenantId, u);
      }
    },
  });
}

export interface CommandUpdateResolverDeps {
  hub: TenantEventHub<CommandUpdate>;
  execute: GatewayExecutor;
}

export function commandUpdateResolvers(deps: CommandUpdateResolverDeps): RouterResolvers {
  return {
    Subscription: {
      chargerCommandUpdated: {
        subscribe: (_src: unknown, args: { chargerId?: string | null }, ctx: RouterContext) => {
          const tenantId = requireTenant(ctx.identity, 'Subscription.chargerCommandUpdated');
          // The same rules as reading commands: charger:command, within the subscriber's data scope.
          const identity = ctx.identity!; // requireTenant saw it
          requirePermission(identity, 'charger:command');
          const scope = readScopeOf(identity);
          const id = args.chargerId ?? null;
          if (scope.scope === 'SELF') return deps.hub.subscribe(tenantId, () => false);
          const updates = deps.hub.subscribe(tenantId, (u) => id === null || u.chargerId === id);
          if (scope.stationIds === null) return updates;
          return visibleOnly(updates, chargerVisibility(deps.execute, ctx));
        },
        resolve: (u: CommandUpdate) => ({ ...u, type: u.command }),
      },
    },
    ChargerCommandUpdate: {
      charger: {
        resolve: (u: CommandUpdate, _args: unknown, ctx: RouterContext, info: GraphQLResolveInfo) =>
          forwardFieldToGateway(deps.execute, ctx, {
            operationName: 'RouterSubscriptionCommandCharger',
            rootField: 'chargerByCode',
            args: { code: { type: 'String!', value: u.chargerCode } },
            info,
          }),
      },
    },
  };
}
