import { energyObject, moneyObject } from '@evcs/platform';
import { Exact } from '../domain/exact';
import type { BindingRecord, PlanRecord, VersionRecord } from '../domain/ports';
import type { SessionPrice as DomainPrice } from '../domain/pricing';
import type { PricedSession } from '../domain/tariff-service';

import {
  ChargerProtocol,
  ChargerTariffBinding,
  SessionPrice,
  SessionPriceItem,
  TariffPlan,
  TariffPlanStatus,
  TariffPlanVersion,
  TariffSegment,
  TariffSource,
} from './types';

/** Exact values (energy, totalExact) are shown exactly when they terminate within 10 places, else rounded there for display only. */
const SHOW = 10;
const ms = (n: number) => Exact.of(BigInt(n), 1000n).toDecimalString(3);

export const toPlan = (p: PlanRecord): TariffPlan =>
  Object.assign(new TariffPlan(), {
    id: p.id,
    name: p.name,
    currency: p.currency,
    timezone: p.timezone,
    status: p.status as TariffPlanStatus,
    stationId: p.stationId,
    isDefault: p.isDefault,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  });

export const toVersion = (v: VersionRecord, currency: string): TariffPlanVersion =>
  Object.assign(new TariffPlanVersion(), {
    version: v.version,
    effectiveFrom: v.effectiveFrom,
    createdAt: v.createdAt,
    segments: v.segments.map((s) => Object.assign(new TariffSegment(), s)),
    planId: v.planId,
    currency,
  });

export const toBinding = (b: BindingRecord): ChargerTariffBinding =>
  Object.assign(new ChargerTariffBinding(), {
    chargerId: b.chargerId,
    stationId: b.stationId,
    protocol: b.protocol as ChargerProtocol,
    boundAt: b.boundAt,
    planId: b.planId,
  });

export function toSessionPrice({ price, resolution }: PricedSession): SessionPrice {
  const p: DomainPrice = price;
  return Object.assign(new SessionPrice(), {
    planId: p.planId,
    source: resolution.source as TariffSource,
    planVersions: p.versionsUsed,
    currency: p.currency,
    timezone: p.timezone,
    energy: energyObject(p.energyWh.toDecimalString(SHOW)),
    durationSeconds: ms(p.durationMs),
    electricityAmount: moneyObject(p.electricityAmount),
    serviceAmount: moneyObject(p.serviceAmount),
    totalExact: p.totalExact.toDecimalString(SHOW),
    total: moneyObject(p.total),
    items: p.items.map((i) =>
      Object.assign(new SessionPriceItem(), {
        planVersion: i.version,
        segmentNo: i.segmentIndex + 1,
        start: i.segment.start,
        end: i.segment.end,
        energyPrice: i.segment.energyPrice.toFixed(4),
        serviceFee: i.segment.serviceFee.toFixed(4),
        durationSeconds: ms(i.durationMs),
        energy: energyObject(i.energyWh.toDecimalString(SHOW)),
        electricityAmount: moneyObject(i.electricityAmount),
        serviceAmount: moneyObject(i.serviceAmount),
      }),
    ),
  });
}
