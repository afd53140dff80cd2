export * from './charger-events';
export * from './charger-commands';
export * from './codec';
export * from './tariff-events';
export * from './order-events';
export * from './payment-events';
export * from './access-events';
export * from './idtag-events';
