import type { OrderRecord } from './ports';

/**
 * What the driver is asked to pay for, as payments shows it at the channel (the trade's
 * subject): the same text whether payments learns of the order from `order.completed`
 * or asks orders for it (`orderForPayment`).
 */
export const payableDescription = (order: Pick<OrderRecord, 'chargerCode' | 'connectorNo'>): string => `Charging at ${order.chargerCode} #${order.connectorNo}`;
