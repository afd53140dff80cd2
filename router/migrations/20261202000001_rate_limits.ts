import type { Knex } from '@evcs/platform';

/**
 * The router's own state: rate-limit counters shared by every router instance
 * (rate-limiter-flexible's Postgres store, whose row shape this is). Not tenant
 * data: keys are client addresses, usernames and identities, and rows expire.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table router.rate_limits (
      key varchar(255) primary key,
      points integer not null default 0,
      -- ms since the epoch; the store deletes rows expired over an hour ago every five minutes
      expire bigint
    );
    create index rate_limits_expire on router.rate_limits (expire);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists router.rate_limits');
}
