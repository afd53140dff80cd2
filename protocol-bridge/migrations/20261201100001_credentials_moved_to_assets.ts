import type { Knex } from 'knex';

/**
 * Charger credentials and the tenants' charger-security policy now live in the
 * assets subgraph (one source of truth, managed through its GraphQL API, audited
 * there); the bridge reads them with the charger's registration. These two
 * tables are no longer read or written. They are kept, not dropped, so an
 * operator upgrading can see which chargers had passwords here and set them
 * again with `rotateChargerCredential` (the hashes cannot be carried over
 * through the API, by design). A later migration drops them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    comment on table bridge.charger_credentials is 'UNUSED since 2026-12: charger passwords live in assets.charger_security (rotateChargerCredential)';
    comment on table bridge.tenant_policies is 'UNUSED since 2026-12: the charger-security policy lives in assets.charger_security_policies; Pending at boot now means security profile 0';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`comment on table bridge.charger_credentials is null; comment on table bridge.tenant_policies is null;`);
}
