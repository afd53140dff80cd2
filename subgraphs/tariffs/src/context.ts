import type { PgAuditReader, SubgraphContext } from '@evcs/platform';
import type { TariffImpactService } from './domain/impact';
import type { TariffReadScope, TariffWriteScope } from './domain/ports';
import type { TariffService } from './domain/tariff-service';
import type { TariffLoaders } from './persistence/loaders';
import type { TariffsReadRepository } from './persistence/read-repository';

export interface TariffsContext extends SubgraphContext<
  { tariffs: TariffService; impact: TariffImpactService },
  { tariffs: TariffsReadRepository; audit: PgAuditReader },
  TariffLoaders
> {
  /** The read scope of this request; FORBIDDEN without tariff:read, TENANT_CONTEXT_MISSING without tenant. */
  readScope(): TariffReadScope;
  /** Where this request may write; FORBIDDEN without tariff:write. */
  writeScope(): TariffWriteScope;
}
