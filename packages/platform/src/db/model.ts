import { Model, snakeCaseMappers } from 'objection';

/**
 * The base of every objection model in the persistence layers.
 *
 * - Columns are snake_case in Postgres and camelCase on the model.
 * - Tables are named without a schema: each service's knex puts its own schema first on the
 *   search_path (db/knex.ts), which is also how tests isolate themselves by schema.
 * - No model is ever bound to a knex instance (`Model.knex(...)` is never called). Every query
 *   names its transaction, `Station.query(trx)`, and that transaction comes from withTenant /
 *   withTenantScope, so row-level security sees the request's tenant. A query that forgets its
 *   transaction fails with objection's "no database connection" error instead of running unscoped.
 */
export class PlatformModel extends Model {
  static override get columnNameMappers() {
    return snakeCaseMappers();
  }
  static override useLimitInFirst = true;
}
