export * from './schema';
export * from './server';
export { OrdersEnv } from './env';
