import { randomUUID } from 'node:crypto';
import { zeroMoney } from '@evcs/platform';
import type { OrderRecord } from '../src/domain/ports';

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
