import type { BaseRequestContext } from '@evcs/platform';
import type { AssetsLoaders } from './persistence/loaders';
import type { AssetsReadRepository, AssetsReadScope } from './persistence/read-repository';

export interface AssetsContext extends BaseRequestContext {
  loaders: AssetsLoaders;
  repo: AssetsReadRepository;
  /** The read scope of this request; FORBIDDEN without station:read, TENANT_CONTEXT_MISSING without tenant. */
  readScope(): AssetsReadScope;
}
