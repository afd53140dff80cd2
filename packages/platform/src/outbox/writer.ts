import { encodeWith, type EventContract, type MessageMeta } from '@evcs/events';
import type { Knex } from 'knex';
import { TenantContextMissingError } from '../errors';
import { withTraceHeaders } from '../tracing/context';

/** An outbox row's values, encoded: payload and headers as JSON text. */
export interface OutboxRowValues {
  id: string;
  tenant_id: string;
  topic: string;
  key: string;
  payload: string;
  headers: string;
}

/**
 * The one way a service publishes: it enqueues a message in the transaction that makes the
 * change it reports, so the message exists exactly when the change commits (a crash between
 * commit and publish loses nothing; the relay publishes it later). Only typed contracts of
 * @evcs/events are accepted; each message is validated and encoded here, at enqueue time, so
 * a malformed one fails the change that made it instead of sitting in the outbox unpublishable.
 * The request's trace context is stored with the headers: the relay publishes later, outside
 * the request, and the consumers continue the request's trace from it.
 */
export class OutboxWriter {
  private readonly table: string;

  constructor(schema: string) {
    this.table = `${schema}.outbox`;
  }

  /**
   * @param extra further columns of this service's outbox (orders: `order_id`)
   */
  async enqueue<E extends { tenantId: string }>(
    trx: Knex.Transaction,
    contract: EventContract<E>,
    message: E,
    meta: MessageMeta & { id?: string; extra?: Record<string, unknown> } = {},
  ): Promise<string> {
    return (await this.enqueueAll(trx, contract, [message], meta))[0];
  }

  async enqueueAll<E extends { tenantId: string }>(
    trx: Knex.Transaction,
    contract: EventContract<E>,
    messages: readonly E[],
    meta: MessageMeta & { id?: string; extra?: Record<string, unknown> } = {},
  ): Promise<string[]> {
    if (messages.length === 0) return [];
    const rows = messages.map((m, i) => {
      if (!m.tenantId) throw new TenantContextMissingError(`outbox ${contract.topic}`);
      const encoded = encodeWith(contract, m, meta);
      const id = (i === 0 && meta.id) || (m as { id?: unknown }).id;
      return {
        ...(typeof id === 'string' ? { id } : {}),
        tenant_id: m.tenantId,
        topic: contract.topic,
        key: encoded.key,
        payload: encoded.value,
        headers: JSON.stringify(withTraceHeaders(encoded.headers)),
        ...meta.extra,
      };
    });
    const inserted: { id: string }[] = await trx(this.table).insert(rows).returning('id');
    return inserted.map((r) => r.id);
  }

  /**
   * The row enqueue would insert, validated and encoded, for a caller that composes its own
   * statement (orders inserts an order and its start command in one statement, the command
   * only if the order was new).
   */
  row<E extends { tenantId: string }>(contract: EventContract<E>, message: E, meta: MessageMeta & { id?: string } = {}): OutboxRowValues {
    if (!message.tenantId) throw new TenantContextMissingError(`outbox ${contract.topic}`);
    const encoded = encodeWith(contract, message, meta);
    const id = meta.id ?? (message as { id?: unknown }).id;
    if (typeof id !== 'string') throw new Error(`outbox ${contract.topic}: a composed row needs the message id`);
    return {
      id,
      tenant_id: message.tenantId,
      topic: contract.topic,
      key: encoded.key,
      payload: encoded.value,
      headers: JSON.stringify(withTraceHeaders(encoded.headers)),
    };
  }
}
