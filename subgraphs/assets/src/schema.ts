import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { auditLogResolver, buildFederatedSchema, deadLetterResolver, SubgraphMigrations } from '@evcs/platform';
import type { AssetsContext } from './context';
import { ChargerCommandResolver } from './graphql/commands';
import { ChargerFirmwareResolver } from './graphql/firmware';
import { AssetMutations } from './graphql/mutations';
import { ChargerSecurityResolver } from './graphql/security';
import { ChargerResolver, ConnectorResolver, referenceResolvers, StationResolver } from './graphql/resolvers';

export const SUBGRAPH_NAME = 'assets';

export const migrations: SubgraphMigrations = { schema: 'assets', directory: path.join(__dirname, '../migrations') };

export function buildAssetsSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema(
    {
      resolvers: [
        StationResolver,
        ChargerResolver,
        ConnectorResolver,
        AssetMutations,
        ChargerSecurityResolver,
        ChargerCommandResolver,
        ChargerFirmwareResolver,
        deadLetterResolver(SUBGRAPH_NAME),
        auditLogResolver<AssetsContext>({
          field: 'assetAuditEntries',
          what: 'stations, chargers and their connectors, credentials and security, charger commands and refused logins',
          reader: (ctx) => ctx.reads.audit,
        }),
      ],
    },
    referenceResolvers,
  );
}
