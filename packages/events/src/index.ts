export * from './charger-events';
export * from './codec';
