// The orders schema's objection models. Never bound to a knex: every query names its transaction.
export { MeterReadingModel } from './meter-reading';
export { OrderModel } from './order';
