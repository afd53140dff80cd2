import { randomUUID } from 'node:crypto';
import {
  auditActorOf,
  AppError,
  createSubgraphServer,
  DeadLetterReplayer,
  ErrorCodes,
  Identity,
  Knex,
  Logger,
  PgAuditReader,
  PgDeadLetterStore,
  type Permission,
  pingDatabase,
  requestReadScopes,
  readScopeOf,
  requirePermission,
  SubgraphServer,
  TokenVerifier,
} from '@evcs/platform';
import type { AssetsContext } from './context';
import { AssetService, WriteActor } from './domain/asset-service';
import { ChargerSecurityService, SecurityActor } from './domain/charger-security';
import { CommandActor, CommandService, type DiagnosticsUploadConfig } from './domain/commands';
import { DiagnosticsUploads } from './domain/diagnostics';
import { diagnosticsUploadRoute } from './http/diagnostics-upload';
import { DiagnosticsReadRepository, PgDiagnosticsUploadStore } from './persistence/diagnostics-store';
import { COMMANDS_CONSUMER, commandEventsHandler } from './events/command-consumer';
import { CommandReadRepository, PgCommandStore } from './persistence/command-store';
import type { TenantQuotaPort } from './domain/ports';
import { StatusIngestService } from './domain/status-ingest';
import { STATUS_CONSUMER, statusHandler } from './events/status-consumer';
import { createLoaders } from './persistence/loaders';
import { AssetsReadRepository, AssetsReadScope } from './persistence/read-repository';
import { PgChargerSecurityStore } from './persistence/charger-security-store';
import { PgAssetStore } from './persistence/asset-store';
import { PgStatusStore } from './persistence/status-store';
import { buildAssetsSchema, SUBGRAPH_NAME } from './schema';

export interface AssetsDeps {
  knex: Knex;
  verifier: TokenVerifier;
  logger: Logger;
  /** Where creations learn the tenant's limits (the tenants subgraph in production). */
  quotas: TenantQuotaPort;
  /** Told after a commit that enqueued (asset events, commands, their updates): wakes the outbox relay. */
  onCommitted?: () => void;
  /** Where chargers upload diagnostics, and the secret shared with the bridge; without it, no GetDiagnostics. */
  diagnostics?: DiagnosticsUploadConfig;
}

/** The commands service over Postgres (the server's and the consumers' and sweeper's, each on its pool). */
export function commandServiceOf(knex: Knex, onCommitted?: () => void, diagnostics?: DiagnosticsUploadConfig): CommandService {
  return new CommandService(new PgCommandStore(knex, randomUUID, onCommitted), randomUUID, undefined, diagnostics);
}

/**
 * Writes go to the identity's own tenant only — never to visible child tenants
 * (those are readable, not writable) — and a station-scoped identity writes only
 * within its assigned stations. A SELF scope owns no assets and writes none.
 * One rule for every kind of write; the permission and the refusal's words differ.
 */
function boundedActorOf(permission: Permission, what: string, identity: Identity, requestId: string | null, clientIp: string | null): CommandActor {
  requirePermission(identity, permission);
  const scope = readScopeOf(identity);
  if (scope.scope === 'SELF') throw new AppError(ErrorCodes.FORBIDDEN, `a SELF data scope cannot ${what}`);
  return {
    tenantId: scope.tenantId,
    stationIds: scope.scope === 'ASSIGNED_STATIONS' ? scope.stationIds : null,
    subject: identity.subject,
    requestId,
    audit: auditActorOf({ identity, requestId, clientIp }),
  };
}

/** Stations, chargers, connectors: station:write. */
export const writeActorOf = (identity: Identity, requestId: string | null = null, clientIp: string | null = null): WriteActor =>
  boundedActorOf('station:write', 'change assets', identity, requestId, clientIp);

/** Charger security (credentials, profiles, identities, policy): charger:write. */
export const securityActorOf = (identity: Identity, requestId: string | null = null, clientIp: string | null = null): SecurityActor =>
  boundedActorOf('charger:write', 'change charger security', identity, requestId, clientIp);

/** Charger commands: charger:command. */
export const commandActorOf = (identity: Identity, requestId: string | null = null, clientIp: string | null = null): CommandActor =>
  boundedActorOf('charger:command', 'command chargers', identity, requestId, clientIp);

/** Builds the assets subgraph HTTP server; never listens. */
export async function createAssetsServer(deps: AssetsDeps): Promise<SubgraphServer> {
  const repo = new AssetsReadRepository(deps.knex);
  const audit = new PgAuditReader(deps.knex);
  const assets = new AssetService(new PgAssetStore(deps.knex, deps.onCommitted), deps.quotas);
  const security = new ChargerSecurityService(new PgChargerSecurityStore(deps.knex));
  const commands = commandServiceOf(deps.knex, deps.onCommitted, deps.diagnostics);
  const commandReads = new CommandReadRepository(deps.knex);
  // A replayed dead letter goes to the handler of the consumer that could not apply it.
  const deadLetterStore = new PgDeadLetterStore(deps.knex, SUBGRAPH_NAME);
  const deadLetters = new DeadLetterReplayer(deadLetterStore, {
    [STATUS_CONSUMER]: statusHandler(new StatusIngestService(new PgStatusStore(deps.knex)), deps.logger),
    [COMMANDS_CONSUMER]: commandEventsHandler(commands),
  });
  return createSubgraphServer<AssetsContext>({
    name: SUBGRAPH_NAME,
    schema: await buildAssetsSchema(),
    verifier: deps.verifier,
    logger: deps.logger,
    // chargers upload GetDiagnostics files here; the one-time token in the URL is the credential
    publicPrefixRoutes: [diagnosticsUploadRoute(new DiagnosticsUploads(new PgDiagnosticsUploadStore(deps.knex)), deps.logger)],
    extendContext: (base) => {
      const scopes = requestReadScopes(base.identity);
      const readScope = (): AssetsReadScope => scopes('station:read');
      return {
        ...base,
        services: { assets, security, commands, deadLetters },
        reads: { assets: repo, commands: commandReads, diagnostics: new DiagnosticsReadRepository(deps.knex), deadLetters: deadLetterStore, audit },
        readScope,
        writeActor: () => writeActorOf(base.identity, base.requestId, base.clientIp),
        securityActor: () => securityActorOf(base.identity, base.requestId, base.clientIp),
        commandActor: () => commandActorOf(base.identity, base.requestId, base.clientIp),
        commandScope: (): AssetsReadScope => scopes('charger:command'),
        serviceActor: () => ({
          tenantId: base.tenantId(),
          stationIds: null,
          subject: base.identity.subject,
          requestId: base.requestId,
          audit: auditActorOf(base),
        }),
        loaders: createLoaders(repo, readScope, security),
      };
    },
    ready: async () => {
      await pingDatabase(deps.knex);
    },
  });
}
