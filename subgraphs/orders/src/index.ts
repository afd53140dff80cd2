export * from './schema';
export * from './server';
