// The payments schema's objection models. Never bound to a knex: every query names its transaction.
export { PaymentModel } from './payment';
export { RefundModel } from './refund';
