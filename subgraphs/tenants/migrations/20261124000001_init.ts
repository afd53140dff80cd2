import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table tenants.tenants (
      id uuid primary key default gen_random_uuid(),
      parent_id uuid references tenants.tenants(id),
      code text not null unique,
      name text not null,
      type text not null check (type in ('PLATFORM','OPERATOR','PARTNER')),
      status text not null default 'ACTIVE' check (status in ('ACTIVE','SUSPENDED','CLOSED')),
      created_at timestamptz not null default now()
    );
  `);
  await knex.raw(`
    alter table tenants.tenants enable row level security;
    alter table tenants.tenants force row level security;
    -- a tenant row is visible to its own tenant (the hierarchy rules come with the identity work)
    create policy tenants_self on tenants.tenants
      using (id = nullif(current_setting('app.tenant_id', true), '')::uuid)
      with check (id = nullif(current_setting('app.tenant_id', true), '')::uuid);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists tenants.tenants');
}
