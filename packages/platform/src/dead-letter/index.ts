export * from './classify';
export * from './store';
export * from './migration';
export * from './recorder';
export * from './isolation';
export * from './replay';
export * from './graphql';
