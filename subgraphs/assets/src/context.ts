import type { BaseRequestContext } from '@evcs/platform';
import type { AssetsLoaders } from './persistence/loaders';
import type { AssetsReadRepository } from './persistence/read-repository';

export interface AssetsContext extends BaseRequestContext {
  loaders: AssetsLoaders;
  repo: AssetsReadRepository;
}
