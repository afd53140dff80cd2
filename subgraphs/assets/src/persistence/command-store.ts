import { ChargerCommands, ChargerCommandUpdates, newChargerCommand, type ChargerCommandUpdate } from '@evcs/events';
import { afterCommit, Knex, keysetPage, type KeysetWindow, OutboxWriter, withTenant, withTenantScope } from '@evcs/platform';
import type {
  ChargerCommandRecord,
  CommandAnswer,
  CommandStore,
  CommandTarget,
  ConfigurationSnapshot,
  NewCommand,
  ReservationRecord,
  SessionStartAtCharger,
} from '../domain/commands';
import type { ChargerProtocolValue, WriteResult } from '../domain/model';
import { ok } from '../domain/model';
import { appendAudit } from './charger-security-store';

const outbox = new OutboxWriter('assets');

interface CommandRow {
  id: string;
  tenant_id: string;
  charger_id: string;
  charger_code: string;
  type: ChargerCommandRecord['type'];
  params: Record<string, unknown>;
  status: ChargerCommandRecord['status'];
  reason: string | null;
  response: Record<string, unknown> | null;
  idempotency_key: string;
  requested_by: string;
  request_id: string | null;
  created_at: Date;
  sent_at: Date | null;
  completed_at: Date | null;
  deadline_at: Date;
}

const toRecord = (r: CommandRow): ChargerCommandRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  chargerId: r.charger_id,
  chargerCode: r.charger_code,
  type: r.type,
  params: r.params,
  status: r.status,
  reason: r.reason,
  response: r.response,
  idempotencyKey: r.idempotency_key,
  requestedBy: r.requested_by,
  requestId: r.request_id,
  createdAt: r.created_at,
  sentAt: r.sent_at,
  completedAt: r.completed_at,
  deadlineAt: r.deadline_at,
});

/** The update every state change publishes: the state as committed. */
function updateOf(c: ChargerCommandRecord, id: string, at: Date): ChargerCommandUpdate {
  return {
    id,
    version: 1,
    type: 'command.updated',
    tenantId: c.tenantId,
    commandId: c.id,
    chargerId: c.chargerId,
    chargerCode: c.chargerCode,
    command: c.type,
    status: c.status,
    reason: c.reason,
    requestedBy: c.requestedBy,
    occurredAt: at.toISOString(),
  };
}

/**
 * Commands and their outbox messages, each change in one tenant transaction. State changes are
 * compare-and-set on the status (`where status in (open)`), so a replayed result, a result after
 * the sweeper gave up, or two sweepers at once change nothing twice.
 */
export class PgCommandStore implements CommandStore {
  constructor(
    private readonly knex: Knex,
    private readonly newId: () => string,
    /** Told after a commit that enqueued (wakes the outbox relay). */
    private readonly onCommitted: () => void = () => undefined,
  ) {}

  private async announce(trx: Knex.Transaction, rows: ChargerCommandRecord[], at: Date, requestId: string | null = null): Promise<void> {
    if (rows.length === 0) return;
    await outbox.enqueueAll(
      trx,
      ChargerCommandUpdates,
      rows.map((c) => updateOf(c, this.newId(), at)),
      { requestId },
    );
    afterCommit(trx, this.onCommitted);
  }

  async issue(
    tenantId: string,
    chargerId: string,
    stations: readonly string[] | null,
    idempotencyKey: string,
    decide: (charger: CommandTarget | null) => WriteResult<NewCommand>,
  ): Promise<WriteResult<{ command: ChargerCommandRecord; created: boolean }>> {
    return withTenant(this.knex, tenantId, async (trx) => {
      // The key first, under a per-key lock: a retry racing its original waits, then finds it.
      await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`assets:command:${tenantId}:${idempotencyKey}`]);
      const existing = await trx<CommandRow>('charger_commands').where({ tenant_id: tenantId, idempotency_key: idempotencyKey }).first();
      if (existing) return ok({ command: toRecord(existing), created: false });
      const charger = await trx('chargers')
        .select<{ id: string; code: string; protocol: ChargerProtocolValue }[]>('id', 'code', 'protocol')
        .where({ id: chargerId, tenant_id: tenantId, registration_state: 'REGISTERED' })
        .modify((q) => {
          if (stations) q.whereIn('station_id', stations);
        })
        .first();
      const d = decide(charger ?? null);
      if (!d.ok) return d;
      const c = d.value;
      const { type, ...params } = c.spec;
      const [row] = await trx<CommandRow>('charger_commands')
        .insert({
          id: c.id,
          tenant_id: tenantId,
          charger_id: c.chargerId,
          charger_code: charger!.code,
          type,
          params: JSON.stringify(params) as unknown as Record<string, unknown>,
          idempotency_key: c.idempotencyKey,
          requested_by: c.requestedBy,
          request_id: c.requestId,
          created_at: c.issuedAt,
          deadline_at: c.deadlineAt,
        })
        .returning('*');
      const command = toRecord(row);
      if (c.diagnosticsUpload) {
        const u = c.diagnosticsUpload;
        await trx('charger_diagnostics').insert({
          id: u.id,
          tenant_id: tenantId,
          charger_id: c.chargerId,
          command_id: c.id,
          token_hash: u.tokenHash,
          created_at: c.issuedAt,
          expires_at: u.expiresAt,
        });
      }
      await outbox.enqueue(
        trx,
        ChargerCommands,
        newChargerCommand({
          id: c.id,
          tenantId,
          chargerId: charger!.code,
          command: c.spec,
          issuedAt: c.issuedAt,
          timeoutMs: c.timeoutMs,
          expiresAt: c.expiresAt,
          reportSent: true,
        }),
        { requestId: c.requestId },
      );
      await appendAudit(trx, tenantId, {
        actor: c.audit,
        action: 'CHARGER_COMMAND_REQUESTED',
        target: `charger:${c.chargerId}`,
        before: null,
        after: { commandId: c.id, type, params },
      });
      await this.announce(trx, [command], c.issuedAt, c.requestId);
      return ok({ command, created: true });
    });
  }

  async markSent(tenantId: string, commandId: string, at: Date): Promise<ChargerCommandRecord | null> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const rows = await trx<CommandRow>('charger_commands')
        .where({ id: commandId, tenant_id: tenantId, status: 'PENDING' })
        .update({ status: 'SENT', sent_at: at })
        .returning('*');
      const records = rows.map(toRecord);
      await this.announce(trx, records, at);
      return records[0] ?? null;
    });
  }

  async complete(
    tenantId: string,
    commandId: string,
    answer: CommandAnswer,
    snapshot: Omit<ConfigurationSnapshot, 'chargerId'> | null,
  ): Promise<ChargerCommandRecord | null> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const rows = await trx<CommandRow>('charger_commands')
        .where({ id: commandId, tenant_id: tenantId })
        .whereIn('status', ['PENDING', 'SENT'])
        .update({
          status: answer.status,
          reason: answer.reason,
          response: answer.response === null ? null : (JSON.stringify(answer.response) as unknown as Record<string, unknown>),
          completed_at: answer.at,
        })
        .returning('*');
      const records = rows.map(toRecord);
      const done = records[0];
      if (done && snapshot) {
        const values = {
          charger_id: done.chargerId,
          tenant_id: tenantId,
          keys: JSON.stringify(snapshot.keys),
          unknown_keys: JSON.stringify(snapshot.unknownKeys),
          command_id: snapshot.commandId,
          taken_at: snapshot.takenAt,
        };
        // A late answer to an older request does not replace a newer snapshot.
        await trx.raw(
          `insert into charger_configurations (charger_id, tenant_id, keys, unknown_keys, command_id, taken_at) values (?, ?, ?::jsonb, ?::jsonb, ?, ?)
           on conflict (charger_id) do update set keys = excluded.keys, unknown_keys = excluded.unknown_keys, command_id = excluded.command_id,
             taken_at = excluded.taken_at where charger_configurations.taken_at <= excluded.taken_at`,
          [values.charger_id, values.tenant_id, values.keys, values.unknown_keys, values.command_id, values.taken_at],
        );
      }
      await this.announce(trx, records, answer.at);
      return done ?? null;
    });
  }

  async overdue(now: Date, limit: number): Promise<{ tenantId: string; id: string }[]> {
    const { rows } = await this.knex.raw<{ rows: { tenant_id: string; id: string }[] }>('select tenant_id, id from assets.overdue_charger_commands(?, ?)', [
      now,
      limit,
    ]);
    return rows.map((r) => ({ tenantId: r.tenant_id, id: r.id }));
  }

  async useReservation(tenantId: string, start: SessionStartAtCharger): Promise<number | null> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const { rows } = await trx.raw<{ rows: { reservation_id: string }[] }>(
        `update charger_commands set reservation_used_at = ?, reservation_used_by = ?
          where id = (select r.id from charger_commands r
                       where r.tenant_id = ? and r.charger_code = ? and r.type = 'reservation.reserve' and r.status = 'ACCEPTED'
                         and r.reservation_used_at is null and (r.params->>'expiryDate')::timestamptz > ?
                         and case when ?::integer is not null then (r.params->>'reservationId')::integer = ?::integer
                                  else (r.params->>'connectorId')::integer in (?, 0) and lower(r.params->>'idTag') = lower(?) end
                       order by (r.params->>'expiryDate')::timestamptz, r.id
                       limit 1
                       for update)
          returning params->>'reservationId' as reservation_id`,
        [
          start.startedAt,
          start.transactionId,
          tenantId,
          start.chargerCode,
          start.startedAt,
          start.reservationId,
          start.reservationId,
          start.connectorNo,
          start.idTag,
        ],
      );
      return rows[0] ? Number(rows[0].reservation_id) : null;
    });
  }

  async timeOut(tenantId: string, ids: readonly string[], at: Date): Promise<ChargerCommandRecord[]> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const rows = await trx<CommandRow>('charger_commands')
        .where({ tenant_id: tenantId })
        .whereIn('id', [...ids])
        .whereIn('status', ['PENDING', 'SENT'])
        .update({ status: 'TIMED_OUT', reason: 'NO_RESULT: the bridge reported no result by the deadline', completed_at: at })
        .returning('*');
      const records = rows.map(toRecord);
      await this.announce(trx, records, at);
      return records;
    });
  }
}

/** Reads of commands and configuration snapshots, in the reader's scope (its tenant and visible ones). */
export class CommandReadRepository {
  constructor(private readonly knex: Knex) {}

  /** A keyset page of one charger's commands, newest first by (createdAt, id): up to size + 1 rows in list order. */
  async pageByCharger(
    scope: { tenantId: string; tenantIds: readonly string[] },
    chargerId: string,
    page: KeysetWindow<{ createdAt: string; id: string }>,
  ): Promise<ChargerCommandRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const q = trx<CommandRow>('charger_commands')
        .where({ charger_id: chargerId })
        .whereIn('tenant_id', [...scope.tenantIds]);
      const rows = await keysetPage<CommandRow, { createdAt: string; id: string }>(q, page, {
        columns: ['created_at', 'id'],
        types: ['timestamptz', 'uuid'],
        order: 'desc',
        values: (k) => [k.createdAt, k.id],
      });
      return rows.map(toRecord);
    });
  }

  async byId(scope: { tenantId: string; tenantIds: readonly string[] }, id: string): Promise<ChargerCommandRecord | null> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const row = await trx<CommandRow>('charger_commands')
        .where({ id })
        .whereIn('tenant_id', [...scope.tenantIds])
        .first();
      return row ? toRecord(row) : null;
    });
  }

  /**
   * The charger's live reservations: RESERVE_NOW commands it accepted, not expired at `now`, not
   * used up by a session, without an accepted CANCEL_RESERVATION of the same reservation id (the
   * soonest to expire first).
   */
  async reservations(scope: { tenantId: string; tenantIds: readonly string[] }, chargerId: string, now: Date): Promise<ReservationRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const { rows } = await trx.raw<{ rows: { id: string; params: Record<string, unknown> }[] }>(
        `select r.id, r.params from charger_commands r
          where r.charger_id = ? and r.tenant_id = any(?::uuid[]) and r.type = 'reservation.reserve' and r.status = 'ACCEPTED'
            and r.reservation_used_at is null and (r.params->>'expiryDate')::timestamptz > ?
            and not exists (select 1 from charger_commands c
                             where c.charger_id = r.charger_id and c.tenant_id = r.tenant_id and c.type = 'reservation.cancel'
                               and c.status = 'ACCEPTED' and c.params->'reservationId' = r.params->'reservationId')
          order by (r.params->>'expiryDate')::timestamptz, r.id`,
        [chargerId, [...scope.tenantIds], now],
      );
      return rows.map((r) => ({
        reservationId: Number(r.params.reservationId),
        connectorNo: Number(r.params.connectorId),
        idTag: String(r.params.idTag),
        expiresAt: new Date(String(r.params.expiryDate)),
        commandId: r.id,
      }));
    });
  }

  async configuration(scope: { tenantId: string; tenantIds: readonly string[] }, chargerId: string): Promise<ConfigurationSnapshot | null> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const row = await trx('charger_configurations')
        .where({ charger_id: chargerId })
        .whereIn('tenant_id', [...scope.tenantIds])
        .first<{ charger_id: string; keys: ConfigurationSnapshot['keys']; unknown_keys: string[]; command_id: string; taken_at: Date } | undefined>();
      return row ? { chargerId: row.charger_id, keys: row.keys, unknownKeys: row.unknown_keys, commandId: row.command_id, takenAt: row.taken_at } : null;
    });
  }
}
