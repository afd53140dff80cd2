import type { Knex } from 'knex';

/**
 * What a live session shows beside its energy (issue 16): the charger's active import power
 * (W) and the vehicle's state of charge (%) at a reading, when the charger reported them
 * (OCPP MeterValues `Power.Active.Import` and `SoC`; YKC 0x13 real-time data). Null: not
 * reported at that instant. Readings from before this migration have neither.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table orders.meter_readings
      add column power_w integer check (power_w >= 0),
      add column soc_percent smallint check (soc_percent between 0 and 100);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table orders.meter_readings drop column if exists power_w, drop column if exists soc_percent');
}
