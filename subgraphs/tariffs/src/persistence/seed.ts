import { Knex, withTenant } from '@evcs/platform';
import { segmentsFromRecords, segmentToRecord, SegmentInput } from '../domain/plan';

/** The demo tenant's default plan: the example time-of-use plan of the tariffs issue. */
export const DEMO_SEGMENTS: SegmentInput[] = [
  { start: '00:00', end: '08:00', energyPrice: '0.6800', serviceFee: '0.3500' },
  { start: '08:00', end: '18:00', energyPrice: '0.8500', serviceFee: '0.4000' },
  { start: '18:00', end: '24:00', energyPrice: '0.7800', serviceFee: '0.3800' },
];

/** Idempotent: gives the tenant a default tenant-level plan unless it already has one (through RLS, as the app role). */
export async function seedDemoTariffs(knex: Knex, tenantId: string, segments: SegmentInput[] = DEMO_SEGMENTS): Promise<void> {
  const records = segmentsFromRecords(segments).map(segmentToRecord);
  await withTenant(knex, tenantId, async (trx) => {
    const existing = await trx('tariffs.tariff_plans').where({ tenant_id: tenantId, is_default: true, status: 'ACTIVE' }).whereNull('station_id').first('id');
    if (existing) return;
    const [plan] = await trx('tariffs.tariff_plans')
      .insert({ tenant_id: tenantId, station_id: null, name: 'Standard time-of-use', currency: 'CNY', timezone: 'Asia/Shanghai', is_default: true })
      .returning('id');
    await trx('tariffs.tariff_plan_versions').insert({
      tenant_id: tenantId,
      plan_id: plan.id,
      version: 1,
      effective_from: new Date('2020-01-01T00:00:00Z'),
      segments: JSON.stringify(records),
      created_by: 'seed',
    });
  });
}
