import { ChargerEvent } from '@evcs/events';
import { meterValuesEvent } from '../src/ocpp/handlers/meter-values';

/**
 * OCPP 1.6 SampledValue.unit defaults to Wh only for an Energy measurand. Filling Wh in for
 * every bare sample made a SoC or Power value look like an energy reading to consumers.
 */
describe('MeterValues → session.meter_values: units made explicit as OCPP defines them', () => {
  const ctx = { tenantId: '6f1c2a4e-0b7d-4c1e-9a55-3f2d8c9b1e70', chargerId: 'CP-UNITS', protocol: 'OCPP16' as const, bridgeId: 'b1' };
  const stamp = { id: '0b8f3a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b', receivedAt: new Date('2026-12-03T02:00:00Z') };

  it('Energy without a unit is Wh, SoC is Percent, Power without a unit keeps none; units given are kept', () => {
    const e = meterValuesEvent(ctx, stamp, 1, 7, [
      {
        timestamp: '2026-12-03T01:59:58Z',
        sampledValue: [
          { value: '1500' },
          { value: '12.5', measurand: 'Energy.Active.Import.Register', unit: 'kWh' },
          { value: '64', measurand: 'SoC' },
          { value: '7200', measurand: 'Power.Active.Import' },
          { value: '7.2', measurand: 'Power.Active.Import', unit: 'kW' },
        ],
      },
    ]);
    expect(ChargerEvent.parse(e)).toBeTruthy();
    expect(e.data.readings[0].samples.map((s) => [s.measurand, s.value, s.unit])).toEqual([
      ['Energy.Active.Import.Register', '1500', 'Wh'],
      ['Energy.Active.Import.Register', '12.5', 'kWh'],
      ['SoC', '64', 'Percent'],
      ['Power.Active.Import', '7200', undefined],
      ['Power.Active.Import', '7.2', 'kW'],
    ]);
    expect('unit' in e.data.readings[0].samples[3]).toBe(false);
  });
});
