/**
 * The assets' objection models. Never bound to a knex (see PlatformModel): every query
 * names the tenant transaction it runs in, `Station.query(trx)`.
 */
export { Charger } from './charger';
export { Connector } from './connector';
export { Station } from './station';
