export * from './writer';
export * from './pg-outbox';
export * from './relay';
export * from './migration';
