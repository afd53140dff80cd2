import type { CommandSpec, CommandStatus } from '@evcs/events';
import { type AuditActor, diagnosticsTokenHash, diagnosticsUploadToken, isUuid } from '@evcs/platform';
import { failed, ok, userError, UserErrorCodes, type ChargerProtocolValue, type WriteResult } from './model';

/**
 * Commands operators send to chargers (reset, unlock, configuration, YKC reboot / time /
 * working parameters…): each is an entity with a lifecycle, kept by assets.
 *
 *   PENDING ──(bridge handed it to the charger: command.sent)──▶ SENT
 *   PENDING | SENT ──(command.result)──▶ ACCEPTED | REJECTED | FAILED (reason)
 *   PENDING | SENT ──(no result by the deadline: sweeper)──▶ TIMED_OUT
 *
 * Terminal states are final: a result arriving after TIMED_OUT changes nothing. The command and
 * its outbox message are written in one transaction, keyed by the caller's idempotency key, so a
 * retried mutation returns the command it made the first time and sends nothing.
 */

export type { CommandStatus };
export const OPEN_STATUSES: readonly CommandStatus[] = ['PENDING', 'SENT'];

/** How long a command may wait for the charger's bridge (then the bridge answers EXPIRED). */
export const COMMAND_DELIVERY_MS = 60_000;
/** How long the charger has to answer once its bridge sent it. */
export const COMMAND_ANSWER_MS = 30_000;
/** Beyond both, before the sweeper gives up on a result (a bridge that died mid-command sends none). */
export const COMMAND_RESULT_GRACE_MS = 30_000;

export interface ChargerCommandRecord {
  id: string;
  tenantId: string;
  chargerId: string;
  chargerCode: string;
  /** The command topic's type (charger.reset, config.get…) */
  type: CommandSpec['type'];
  /** What was asked, without the type */
  params: Record<string, unknown>;
  status: CommandStatus;
  reason: string | null;
  response: Record<string, unknown> | null;
  idempotencyKey: string;
  requestedBy: string;
  requestId: string | null;
  createdAt: Date;
  sentAt: Date | null;
  completedAt: Date | null;
  deadlineAt: Date;
}

/** The longest a reservation may be made for. */
export const MAX_RESERVATION_MS = 24 * 3600_000;

/** A reservation the charger accepted, not cancelled, not yet expired. */
export interface ReservationRecord {
  reservationId: number;
  connectorNo: number;
  idTag: string;
  expiresAt: Date;
  /** The RESERVE_NOW command that made it */
  commandId: string;
}

/** The last GetConfiguration answer of a charger. */
export interface ConfigurationSnapshot {
  chargerId: string;
  keys: { key: string; value: string | null; readonly: boolean }[];
  unknownKeys: string[];
  commandId: string;
  takenAt: Date;
}

/** Who sends: `charger:command`, one tenant, optionally only some stations. */
export interface CommandActor {
  tenantId: string;
  stationIds: readonly string[] | null;
  subject: string;
  requestId: string | null;
  /** who, for the audit trail */
  audit: AuditActor;
}

/** The charger a command is for, as the store found it (within the actor's stations). */
export interface CommandTarget {
  id: string;
  code: string;
  protocol: ChargerProtocolValue;
}

export interface NewCommand {
  id: string;
  chargerId: string;
  spec: CommandSpec;
  idempotencyKey: string;
  requestedBy: string;
  requestId: string | null;
  /** who asked, for the audit trail */
  audit: AuditActor;
  issuedAt: Date;
  deadlineAt: Date;
  /** for the bridge: how long it may take to reach the charger, and to answer */
  expiresAt: Date;
  timeoutMs: number;
  /** GetDiagnostics: the upload it allows, written with the command (the token's hash only). */
  diagnosticsUpload?: { id: string; tokenHash: string; expiresAt: Date };
}

/** Where chargers upload diagnostics: assets' own URL, and the secret shared with the bridge that tokens derive from. */
export interface DiagnosticsUploadConfig {
  /** e.g. https://assets.example.com — the upload URL is `<baseUrl>/diagnostics/<uploadId>/<token>` */
  baseUrl: string;
  secret: string;
}

/** How long a GetDiagnostics upload URL stays usable (a charger may collect for a while, and retry). */
export const DIAGNOSTICS_UPLOAD_TTL_MS = 24 * 3600_000;

/** A result as the bridge reported it. */
export interface CommandAnswer {
  status: 'ACCEPTED' | 'REJECTED' | 'FAILED';
  reason: string | null;
  response: Record<string, unknown> | null;
  at: Date;
}

/** A session the charger started (session.started), as far as it can use up a reservation. */
export interface SessionStartAtCharger {
  chargerCode: string;
  connectorNo: number;
  idTag: string | null;
  /** the reservation the charger says the start uses (OCPP StartTransaction reservationId) */
  reservationId: number | null;
  transactionId: string;
  startedAt: Date;
}

/** Port implemented by persistence: each call one transaction in the tenant; every state change enqueues its command update. */
export interface CommandStore {
  /**
   * Insert the command and its outbox message unless the tenant already has one with this
   * idempotency key (then that one is returned, `created: false`, and nothing is written).
   * `decide` sees the charger (null: not found / retired / outside `stations`) and refuses or
   * returns the command to write.
   */
  issue(
    tenantId: string,
    chargerId: string,
    stations: readonly string[] | null,
    idempotencyKey: string,
    decide: (charger: CommandTarget | null) => WriteResult<NewCommand>,
  ): Promise<WriteResult<{ command: ChargerCommandRecord; created: boolean }>>;
  /** PENDING → SENT; null if the command is not ours or no longer pending. */
  markSent(tenantId: string, commandId: string, at: Date): Promise<ChargerCommandRecord | null>;
  /** PENDING | SENT → the answer (and the configuration snapshot for an accepted config.get); null if not ours or already final. */
  complete(
    tenantId: string,
    commandId: string,
    answer: CommandAnswer,
    snapshot: Omit<ConfigurationSnapshot, 'chargerId'> | null,
  ): Promise<ChargerCommandRecord | null>;
  /** Open commands past their deadline, across tenants (ids only). */
  overdue(now: Date, limit: number): Promise<{ tenantId: string; id: string }[]>;
  /** Open ones among `ids` → TIMED_OUT. */
  timeOut(tenantId: string, ids: readonly string[], at: Date): Promise<ChargerCommandRecord[]>;
  /**
   * Mark used the reservation `start` uses up (see CommandService.sessionStarted for which): it
   * is then no longer live. Returns its reservation id; null when none matched (no reservation,
   * or used already: a replay changes nothing).
   */
  useReservation(tenantId: string, start: SessionStartAtCharger): Promise<number | null>;
}

/** Which protocol takes which command (the bridge would answer NOT_SUPPORTED; refused here, before anything is sent). */
const PROTOCOLS: Record<CommandSpec['type'], readonly ChargerProtocolValue[]> = {
  'session.start': [],
  'session.stop': [],
  'billing_model.set': [],
  'real_time_data.read': [],
  'charger.reset': ['OCPP16', 'YKC'],
  'connector.unlock': ['OCPP16'],
  'connector.change_availability': ['OCPP16'],
  'config.change': ['OCPP16'],
  'config.get': ['OCPP16'],
  'message.trigger': ['OCPP16'],
  'cache.clear': ['OCPP16'],
  'reservation.reserve': ['OCPP16'],
  'reservation.cancel': ['OCPP16'],
  'time.sync': ['YKC'],
  'working_parameters.set': ['YKC'],
  'firmware.update': ['OCPP16'],
  'diagnostics.get': ['OCPP16'],
};

const KEY = /^[\x21-\x7e]{1,100}$/;

/** An OCPP GetConfiguration answer as the snapshot keeps it; null if it isn't one. */
export function snapshotOf(response: Record<string, unknown> | null): { keys: ConfigurationSnapshot['keys']; unknownKeys: string[] } | null {
  if (!response || !Array.isArray(response.configurationKey)) return null;
  const keys = (response.configurationKey as unknown[]).flatMap((k) => {
    const e = (k ?? {}) as Record<string, unknown>;
    if (typeof e.key !== 'string') return [];
    return [{ key: e.key, value: typeof e.value === 'string' ? e.value : null, readonly: e.readonly === true }];
  });
  const unknownKeys = Array.isArray(response.unknownKey) ? (response.unknownKey as unknown[]).filter((k): k is string => typeof k === 'string') : [];
  return { keys, unknownKeys };
}

export class CommandService {
  constructor(
    private readonly store: CommandStore,
    private readonly newId: () => string,
    private readonly now: () => Date = () => new Date(),
    private readonly diagnostics?: DiagnosticsUploadConfig,
  ) {}

  /**
   * Ask the charger for its diagnostics (OCPP GetDiagnostics), to be uploaded to this service.
   * The command names the upload (uploadId, the URL without its token); the token's hash is
   * stored with it, and the bridge derives the token itself (DiagnosticsUploadConfig.secret).
   */
  getDiagnostics(
    actor: CommandActor,
    chargerId: string,
    window: { startTime?: Date; stopTime?: Date },
    idempotencyKey: string,
  ): Promise<WriteResult<ChargerCommandRecord>> {
    const d = this.diagnostics;
    if (!d)
      return Promise.resolve(failed(userError(UserErrorCodes.NOT_SUPPORTED, null, 'diagnostics uploads are not configured (ASSETS_DIAGNOSTICS_UPLOAD_URL)')));
    if (window.startTime && window.stopTime && window.startTime > window.stopTime) {
      return Promise.resolve(failed(userError(UserErrorCodes.INVALID, 'input.stopTime', 'stopTime must not be before startTime')));
    }
    const uploadId = this.newId();
    const spec: CommandSpec = {
      type: 'diagnostics.get',
      uploadId,
      location: `${d.baseUrl.replace(/\/+$/, '')}/diagnostics/${uploadId}`,
      ...(window.startTime ? { startTime: window.startTime.toISOString() } : {}),
      ...(window.stopTime ? { stopTime: window.stopTime.toISOString() } : {}),
    };
    const upload = {
      id: uploadId,
      tokenHash: diagnosticsTokenHash(diagnosticsUploadToken(d.secret, uploadId)),
      expiresAt: new Date(this.now().getTime() + DIAGNOSTICS_UPLOAD_TTL_MS),
    };
    return this.issue(actor, chargerId, spec, idempotencyKey, upload);
  }

  /**
   * Reserve a connector for `idTag` until `expiresAt` (OCPP ReserveNow). The reservation id the
   * charger knows it by is chosen here (`reservationId`, 31 bits; it is in the command's params).
   */
  reserve(
    actor: CommandActor,
    chargerId: string,
    r: { connectorNo: number; idTag: string; expiresAt: Date; reservationId: number },
    idempotencyKey: string,
  ): Promise<WriteResult<ChargerCommandRecord>> {
    const left = r.expiresAt.getTime() - this.now().getTime();
    if (!(left > 0 && left <= MAX_RESERVATION_MS)) {
      return Promise.resolve(failed(userError(UserErrorCodes.INVALID, 'input.expiresAt', 'expiresAt must be in the future, at most 24 hours ahead')));
    }
    return this.issue(
      actor,
      chargerId,
      { type: 'reservation.reserve', connectorId: r.connectorNo, idTag: r.idTag, expiryDate: r.expiresAt.toISOString(), reservationId: r.reservationId },
      idempotencyKey,
    );
  }

  /**
   * Send `spec` to the charger: the command (PENDING) and its message on the command topic,
   * once per idempotency key. Refused as data: an unknown charger (or one outside the actor's
   * stations), a command its protocol has no message for, a key reused for another command.
   */
  async issue(
    actor: CommandActor,
    chargerId: string,
    spec: CommandSpec,
    idempotencyKey: string,
    diagnosticsUpload?: NewCommand['diagnosticsUpload'],
  ): Promise<WriteResult<ChargerCommandRecord>> {
    if (!KEY.test(idempotencyKey)) return failed(userError(UserErrorCodes.INVALID, 'idempotencyKey', 'idempotencyKey: 1–100 printable ASCII characters'));
    if (!isUuid(chargerId)) return failed(userError(UserErrorCodes.NOT_FOUND, 'chargerId', 'charger not found'));
    const issuedAt = this.now();
    const expiresAt = new Date(issuedAt.getTime() + COMMAND_DELIVERY_MS);
    const r = await this.store.issue(actor.tenantId, chargerId, actor.stationIds, idempotencyKey, (charger) => {
      if (!charger) return failed(userError(UserErrorCodes.NOT_FOUND, 'chargerId', 'charger not found'));
      if (!PROTOCOLS[spec.type].includes(charger.protocol)) {
        return failed(userError(UserErrorCodes.NOT_SUPPORTED, null, `a ${charger.protocol} charger has no message for ${spec.type}`));
      }
      return ok({
        id: this.newId(),
        chargerId: charger.id,
        spec,
        idempotencyKey,
        requestedBy: actor.subject,
        requestId: actor.requestId,
        audit: actor.audit,
        issuedAt,
        expiresAt,
        timeoutMs: COMMAND_ANSWER_MS,
        deadlineAt: new Date(expiresAt.getTime() + COMMAND_ANSWER_MS + COMMAND_RESULT_GRACE_MS),
        ...(diagnosticsUpload ? { diagnosticsUpload } : {}),
      });
    });
    if (!r.ok) return r;
    const { command, created } = r.value;
    // The same key for another command (or charger) is a client bug: say so rather than answer with the other command.
    if (!created && (command.chargerId !== chargerId || command.type !== spec.type)) {
      return failed(userError(UserErrorCodes.IDEMPOTENCY_KEY_REUSED, 'idempotencyKey', 'this idempotency key was used for another command'));
    }
    return ok(command);
  }

  /**
   * Whether assets sends commands of this type: results of the others (orders' session starts
   * and stops) have no row here, and are skipped without a statement to find none.
   */
  issues(command: string): boolean {
    return (PROTOCOLS[command as CommandSpec['type']]?.length ?? 0) > 0;
  }

  /** The bridge handed the command to the charger (command.sent). */
  sent(tenantId: string, commandId: string, at: Date): Promise<ChargerCommandRecord | null> {
    return this.store.markSent(tenantId, commandId, at);
  }

  /** The bridge's result (command.result); a GetConfiguration answer becomes the charger's snapshot. */
  answered(tenantId: string, commandId: string, command: string, answer: CommandAnswer): Promise<ChargerCommandRecord | null> {
    const snap = command === 'config.get' && answer.status === 'ACCEPTED' ? snapshotOf(answer.response) : null;
    return this.store.complete(tenantId, commandId, answer, snap ? { ...snap, commandId, takenAt: answer.at } : null);
  }

  /**
   * A session started at the charger: the reservation it uses up is over, though its expiry is
   * still ahead. Which one: the reservation the charger names (OCPP StartTransaction
   * reservationId); when it names none, one for the session's id tag (compared
   * case-insensitively, as OCPP compares id tags) on its connector or on the whole charger
   * (connector 0). Either must have been live when the session started (accepted, not expired).
   */
  sessionStarted(tenantId: string, start: SessionStartAtCharger): Promise<number | null> {
    if (start.reservationId === null && start.idTag === null) return Promise.resolve(null);
    return this.store.useReservation(tenantId, start);
  }

  /** Give up on open commands past their deadline; returns how many timed out. */
  async sweep(limit = 500): Promise<number> {
    const now = this.now();
    const overdue = await this.store.overdue(now, limit);
    const byTenant = new Map<string, string[]>();
    for (const o of overdue) byTenant.set(o.tenantId, [...(byTenant.get(o.tenantId) ?? []), o.id]);
    let n = 0;
    for (const [tenantId, ids] of byTenant) n += (await this.store.timeOut(tenantId, ids, now)).length;
    return n;
  }
}
