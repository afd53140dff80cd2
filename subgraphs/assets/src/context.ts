import type { BaseRequestContext } from '@evcs/platform';
import type { AssetService, WriteActor } from './domain/asset-service';
import type { AssetsLoaders } from './persistence/loaders';
import type { AssetsReadRepository, AssetsReadScope } from './persistence/read-repository';

export interface AssetsContext extends BaseRequestContext {
  loaders: AssetsLoaders;
  repo: AssetsReadRepository;
  assets: AssetService;
  /** The read scope of this request; FORBIDDEN without station:read, TENANT_CONTEXT_MISSING without tenant. */
  readScope(): AssetsReadScope;
  /** Who writes: FORBIDDEN without station:write (or with a SELF scope), TENANT_CONTEXT_MISSING without tenant. */
  writeActor(): WriteActor;
}
