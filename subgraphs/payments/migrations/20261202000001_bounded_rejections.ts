import type { Knex } from 'knex';

/**
 * Rejected notifications come from anyone who can reach the notify endpoints, so
 * what they cost is bounded: one counter row per channel and hour, and at most a
 * few sampled reasons per channel and hour in notification_rejections (which used
 * to take a row for every rejection). Both keep 30 days.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table payments.notification_rejection_counts (
      channel text not null,
      hour timestamptz not null,
      rejected bigint not null,
      primary key (channel, hour)
    );
    create index notification_rejections_received_at on payments.notification_rejections (received_at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index if exists payments.notification_rejections_received_at;
    drop table if exists payments.notification_rejection_counts;
  `);
}
