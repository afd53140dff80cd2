import type { Knex } from 'knex';

/**
 * Bills state their amounts as Money ({ minor, currency }) since the platform
 * has one money module; bills stored before as decimal strings are rewritten
 * in place. Their totals were already rounded half-up to fen (the same rounding
 * here gives the same fen); their item amounts were exact, and are rounded
 * half-up each, so an old bill's items may miss its total by a fen — new bills
 * share the total out so they add up. Energies (decimal strings of Wh) stay.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create or replace function pg_temp.money_of(v jsonb, cur text) returns jsonb language sql immutable as $$
      select case when jsonb_typeof(v) = 'string'
        then jsonb_build_object('minor', round((v #>> '{}')::numeric * 100)::bigint, 'currency', cur)
        else v end
    $$;
    update orders.orders set bill = bill || jsonb_build_object(
        'total', pg_temp.money_of(bill -> 'total', currency),
        'electricityAmount', pg_temp.money_of(bill -> 'electricityAmount', currency),
        'serviceAmount', pg_temp.money_of(bill -> 'serviceAmount', currency),
        'items', coalesce((
          select jsonb_agg(i || jsonb_build_object(
              'electricityAmount', pg_temp.money_of(i -> 'electricityAmount', currency),
              'serviceAmount', pg_temp.money_of(i -> 'serviceAmount', currency)) order by n)
          from jsonb_array_elements(bill -> 'items') with ordinality as t(i, n)), '[]'::jsonb))
      where bill is not null and jsonb_typeof(bill -> 'total') = 'string';
  `);
}

/** Back to decimal strings (2 places), for a rollback of the code that reads Money. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    create or replace function pg_temp.decimal_of(v jsonb) returns jsonb language sql immutable as $$
      select case when jsonb_typeof(v) = 'object'
        then to_jsonb(to_char((v ->> 'minor')::numeric / 100, 'FM999999999999990.00'))
        else v end
    $$;
    update orders.orders set bill = bill || jsonb_build_object(
        'total', pg_temp.decimal_of(bill -> 'total'),
        'electricityAmount', pg_temp.decimal_of(bill -> 'electricityAmount'),
        'serviceAmount', pg_temp.decimal_of(bill -> 'serviceAmount'),
        'items', coalesce((
          select jsonb_agg(i || jsonb_build_object(
              'electricityAmount', pg_temp.decimal_of(i -> 'electricityAmount'),
              'serviceAmount', pg_temp.decimal_of(i -> 'serviceAmount')) order by n)
          from jsonb_array_elements(bill -> 'items') with ordinality as t(i, n)), '[]'::jsonb))
      where bill is not null and jsonb_typeof(bill -> 'total') = 'object';
  `);
}
