import type { DeadLetterReplayer, DeadLetterStore, PgAuditReader, SubgraphContext } from '@evcs/platform';
import type { AssetService, WriteActor } from './domain/asset-service';
import type { ChargerSecurityService, SecurityActor } from './domain/charger-security';
import type { CommandActor, CommandService } from './domain/commands';
import type { CommandReadRepository } from './persistence/command-store';
import type { DiagnosticsReadRepository } from './persistence/diagnostics-store';
import type { AssetsLoaders } from './persistence/loaders';
import type { AssetsReadRepository, AssetsReadScope } from './persistence/read-repository';

export interface AssetsContext extends SubgraphContext<
  { assets: AssetService; security: ChargerSecurityService; commands: CommandService; deadLetters: DeadLetterReplayer },
  { assets: AssetsReadRepository; commands: CommandReadRepository; diagnostics: DiagnosticsReadRepository; deadLetters: DeadLetterStore; audit: PgAuditReader },
  AssetsLoaders
> {
  /** The read scope of this request; FORBIDDEN without station:read, TENANT_CONTEXT_MISSING without tenant. */
  readScope(): AssetsReadScope;
  /** Who writes: FORBIDDEN without station:write (or with a SELF scope), TENANT_CONTEXT_MISSING without tenant. */
  writeActor(): WriteActor;
  /** Who changes charger security: FORBIDDEN without charger:write (or with a SELF scope). */
  securityActor(): SecurityActor;
  /** Who sends charger commands: FORBIDDEN without charger:command (or with a SELF scope). */
  commandActor(): CommandActor;
  /** Where commands and configuration snapshots are read: FORBIDDEN without charger:command. */
  commandScope(): AssetsReadScope;
  /** A platform service acting for the tenant its token names (the bridge). */
  serviceActor(): SecurityActor;
}
