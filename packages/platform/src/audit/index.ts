export * from './entry';
export * from './migration';
export * from './reader';
export * from './graphql';
