import type { ChargerEventOf, ConnectorStatus } from '@evcs/events';
import { ChargerContext, chargerEvent, EventStamp } from '../connections/events';
import type { RealTimeData, TransactionRecord } from './messages';

/** Scaled integer → decimal string, exactly (no float arithmetic): scaled(12345, 4) = "1.2345". */
export function scaled(value: number, decimals: number, offset = 0): string {
  const v = BigInt(value) + BigInt(offset) * 10n ** BigInt(decimals);
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(decimals + 1, '0');
  const out = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return neg ? `-${out}` : out;
}

/** YKC gun status (0x13) in the OCPP vocabulary of connector.status_changed. */
export function connectorStatusOf(rt: Pick<RealTimeData, 'status' | 'plugged'>): ConnectorStatus {
  switch (rt.status) {
    case 0:
      return 'Unavailable';
    case 1:
      return 'Faulted';
    case 3:
      return 'Charging';
    default:
      return rt.plugged ? 'Preparing' : 'Available';
  }
}

export function gunNumber(gunNo: string): number {
  return Number(gunNo);
}

export function realTimeStatusEvent(ctx: ChargerContext, stamp: EventStamp, rt: RealTimeData): ChargerEventOf<'connector.status_changed'> {
  const status = connectorStatusOf(rt);
  return chargerEvent(ctx, stamp, 'connector.status_changed', {
    connectorId: gunNumber(rt.gunNo),
    status,
    errorCode: rt.hardwareFaults !== 0 || status === 'Faulted' ? `YKC_FAULT_0x${rt.hardwareFaults.toString(16).padStart(4, '0')}` : 'NoError',
  });
}

/** An all-zero serial is what piles send in 0x13 when no session runs. */
export const NO_SERIAL = /^0+$/;

/**
 * Real-time data while charging → session.meter_values, mapped onto the OCPP
 * measurand vocabulary: Voltage, Current.Import, Power.Active.Import (their product),
 * SoC, Temperature (gun line),
 * Energy.Active.Import.Interval (kWh charged in this session) and the pile's
 * running amount (measurand "Amount", CNY: not an OCPP measurand, kept so
 * nothing the pile said is lost). Both count from the session's start, not
 * from the meter's zero (`sinceStart`): orders turns the energy into readings
 * relative to the meter start of the pile's record.
 */
export function realTimeMeterEvent(ctx: ChargerContext, stamp: EventStamp, rt: RealTimeData): ChargerEventOf<'session.meter_values'> {
  const timestamp = stamp.receivedAt.toISOString();
  return chargerEvent(ctx, stamp, 'session.meter_values', {
    connectorId: gunNumber(rt.gunNo),
    ...(NO_SERIAL.test(rt.serial) ? {} : { transactionId: rt.serial }),
    readings: [
      {
        timestamp,
        samples: [
          { measurand: 'Voltage', value: scaled(rt.voltageX10, 1), unit: 'V' },
          { measurand: 'Current.Import', value: scaled(rt.currentX10, 1), unit: 'A' },
          // Not in 0x13 itself: the DC output's voltage × current, exactly (0.1 V × 0.1 A = 0.01 W).
          { measurand: 'Power.Active.Import', value: scaled(rt.voltageX10 * rt.currentX10, 2), unit: 'W' },
          { measurand: 'SoC', value: String(rt.soc), unit: 'Percent' },
          { measurand: 'Temperature', value: String(rt.gunTempRaw - 50), unit: 'Celsius', location: 'Cable' },
          { measurand: 'Energy.Active.Import.Interval', value: scaled(rt.energyX1e4, 4), unit: 'kWh', sinceStart: true },
          { measurand: 'Amount', value: scaled(rt.amountX1e4, 4), unit: 'CNY', sinceStart: true },
        ],
      },
    ],
  });
}

const TIERS = ['SHARP', 'PEAK', 'FLAT', 'VALLEY'] as const;

export function transactionRecordedEvent(ctx: ChargerContext, stamp: EventStamp, r: TransactionRecord): ChargerEventOf<'transaction.recorded'> {
  return chargerEvent(
    ctx,
    stamp,
    'transaction.recorded',
    {
      transactionId: r.serial,
      connectorId: gunNumber(r.gunNo),
      startedAt: r.startedAt.toISOString(),
      endedAt: r.endedAt.toISOString(),
      meterStartKwh: scaled(r.meterStartX1e4, 4),
      meterStopKwh: scaled(r.meterStopX1e4, 4),
      energyKwh: scaled(r.totalEnergyX1e4, 4),
      amount: scaled(r.totalAmountX1e4, 4),
      currency: 'CNY',
      tiers: r.tiers.map((t, i) => ({
        tier: TIERS[i],
        unitPrice: scaled(t.unitPriceX1e5, 5),
        energyKwh: scaled(t.energyX1e4, 4),
        amount: scaled(t.amountX1e4, 4),
      })),
      ...(r.vin ? { vin: r.vin } : {}),
      startType: r.startType,
      stopReason: r.stopReason,
    },
    r.endedAt.toISOString(),
  );
}

/** The record ends the session: session.stopped in the same model as OCPP (meter in Wh, from kWh ×10^4). */
export function recordStoppedEvent(ctx: ChargerContext, stamp: EventStamp, r: TransactionRecord): ChargerEventOf<'session.stopped'> {
  return chargerEvent(
    ctx,
    stamp,
    'session.stopped',
    {
      transactionId: r.serial,
      connectorId: gunNumber(r.gunNo),
      meterStopWh: Math.round(r.meterStopX1e4 / 10),
      stoppedAt: r.endedAt.toISOString(),
      reason: `YKC_0x${r.stopReason.toString(16).padStart(2, '0')}`,
    },
    r.endedAt.toISOString(),
  );
}
