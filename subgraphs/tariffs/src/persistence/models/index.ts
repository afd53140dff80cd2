// The tariffs schema's objection models. Never bound to a knex: every query names its transaction.
export { BindingModel } from './binding';
export { PlanModel } from './plan';
export { PlanVersionModel } from './plan-version';
