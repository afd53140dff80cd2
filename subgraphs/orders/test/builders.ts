import { randomUUID } from 'node:crypto';
import { AssetEvents, encodeWith, type AssetEvent } from '@evcs/events';
import { zeroMoney, type ReceivedMessage } from '@evcs/platform';
import type { ChargerInfo, OrderRecord } from '../src/domain/ports';

/** An OCPP charger with connectors 1 and 2 at `stationId`; override what the test is about. */
export const aChargerInfo = (stationId: string, over: Partial<ChargerInfo> = {}): ChargerInfo => ({
  chargerId: randomUUID(),
  code: `CP-${randomUUID().slice(0, 8)}`,
  stationId,
  timezone: 'Asia/Shanghai',
  protocol: 'OCPP16',
  connectorNos: [1, 2],
  ...over,
});

/** The charger's snapshot at `revision` as assets publishes it, as the asset events consumer receives it. */
export function assetEventMessage(tenantId: string, c: ChargerInfo, revision: number, type: AssetEvent['type'] = 'charger.changed'): ReceivedMessage {
  const e: AssetEvent = {
    id: randomUUID(),
    version: 1,
    tenantId,
    occurredAt: new Date().toISOString(),
    type,
    data: {
      chargerId: c.chargerId,
      code: c.code,
      stationId: c.stationId,
      timezone: c.timezone ?? null,
      protocol: c.protocol,
      connectorNos: c.connectorNos,
      revision,
    },
  };
  const encoded = encodeWith(AssetEvents, e);
  return { topic: AssetEvents.topic, partition: 0, offset: '0', key: encoded.key, value: Buffer.from(encoded.value), headers: encoded.headers, timestamp: '0' };
}

/** An OCPP session charging since 10:00 UTC with its meter at 1,000 Wh; override what the test is about. */
export function anOrder(overrides: Partial<OrderRecord> = {}): OrderRecord {
  return {
    id: randomUUID(),
    tenantId: randomUUID(),
    stationId: randomUUID(),
    chargerId: randomUUID(),
    chargerCode: 'CP-1',
    connectorNo: 1,
    userId: randomUUID(),
    idTag: 'CARD-1',
    origin: 'CHARGER',
    transactionId: '1',
    state: 'CHARGING',
    startedAt: new Date('2026-11-24T10:00:00Z'),
    stoppedAt: null,
    meterStartWh: 1000,
    meterStopWh: null,
    energyWh: null,
    amount: null,
    currency: 'CNY',
    bill: null,
    chargerBill: null,
    preAuthorizedFen: null,
    failureReason: null,
    stopReason: null,
    reviewFlags: [],
    idempotencyKey: null,
    paidAt: null,
    paidAmount: null,
    refundedAmount: zeroMoney('CNY'),
    createdAt: new Date('2026-11-24T09:59:50Z'),
    updatedAt: new Date('2026-11-24T10:00:00Z'),
    ...overrides,
  };
}
