import { AppError, type AuditActor, ErrorCodes, isUuid } from '@evcs/platform';
import { failed, userError, UserErrorCodes, WriteResult } from './model';
import { initialSecurity, YkcPileIdentity } from './charger-security';
import type { AssetStore, ExpectedVersion, TenantQuotaPort } from './ports';
import type { ChargerRecord, ConnectorRecord, StationRecord } from './records';
import {
  ChargerInput,
  ConnectorInput,
  StationInput,
  validateChargerCreate,
  validateChargerPatch,
  validateConnectorCreate,
  validateConnectorPatch,
  validateStationCreate,
  validateStationPatch,
} from './validation';

/**
 * Who writes: always exactly one tenant (the identity's own; writes never go
 * to visible child tenants), and optionally only some of its stations (a
 * station manager's assigned stations).
 */
export interface WriteActor {
  tenantId: string;
  /** null = every station of the tenant */
  stationIds: readonly string[] | null;
  /** who, for audit records (user id or service name) */
  subject?: string;
  requestId?: string | null;
  /** who, for the audit trail */
  audit: AuditActor;
}

/** Security asked for at registration (see ChargerSecurityService); absent: the defaults. */
export interface ChargerSecurityInput {
  securityProfile?: number | null;
  password?: string | null;
  ykcIdentity?: YkcPileIdentity | null;
  allowedSourceCidrs?: string[] | null;
}

/** A registered charger, and the password generated (or set) for it: returned once, stored only hashed. */
export interface RegisteredCharger {
  charger: ChargerRecord;
  password: string | null;
}

const notFound = <T>(field: string, what: string): WriteResult<T> => failed(userError(UserErrorCodes.NOT_FOUND, field, `${what} not found`));

/**
 * Creates, updates and retires stations, chargers and connectors.
 *
 * Rules it owns: input validation, who may do what (a station manager only
 * works within assigned stations and neither creates nor retires stations),
 * and quotas (asked of the tenants service before the write; enforced by the
 * store under a lock). Retiring is soft and refused while it would orphan
 * something live — see the store for the exact conditions.
 */
export class AssetService {
  constructor(
    private readonly store: AssetStore,
    private readonly quotas: TenantQuotaPort,
  ) {}

  async createStation(actor: WriteActor, input: StationInput): Promise<WriteResult<StationRecord>> {
    if (actor.stationIds) throw new AppError(ErrorCodes.FORBIDDEN, 'a station-scoped identity cannot create stations');
    const v = validateStationCreate(input);
    if (!v.ok) return v;
    const quotas = await this.quotasOf(actor.tenantId);
    if (!quotas.ok) return quotas;
    return this.store.createStation(actor.tenantId, v.value, quotas.value.maxStations, actor.audit);
  }

  async updateStation(actor: WriteActor, id: string, input: StationInput, expectedVersion: ExpectedVersion): Promise<WriteResult<StationRecord>> {
    if (!this.mayTouchStation(actor, id)) return notFound('id', 'station');
    const v = validateStationPatch(input);
    if (!v.ok) return v;
    return this.store.updateStation(actor.tenantId, id, v.value, expectedVersion, actor.stationIds, actor.audit);
  }

  async retireStation(actor: WriteActor, id: string, expectedVersion: ExpectedVersion): Promise<WriteResult<StationRecord>> {
    if (actor.stationIds) throw new AppError(ErrorCodes.FORBIDDEN, 'a station-scoped identity cannot retire stations');
    if (!isUuid(id)) return notFound('id', 'station');
    return this.store.retireStation(actor.tenantId, id, expectedVersion, actor.audit);
  }

  async createCharger(actor: WriteActor, input: ChargerInput, security: ChargerSecurityInput = {}): Promise<WriteResult<RegisteredCharger>> {
    const v = validateChargerCreate(input);
    if (!v.ok) return v;
    if (!this.mayTouchStation(actor, v.value.stationId)) return notFound('stationId', 'station');
    const sec = await initialSecurity(v.value.protocol, security);
    if (!sec.ok) return sec;
    const quotas = await this.quotasOf(actor.tenantId);
    if (!quotas.ok) return quotas;
    const audit = { actor: actor.audit, action: 'CHARGER_REGISTERED', before: null, after: null };
    const r = await this.store.createCharger(actor.tenantId, v.value, quotas.value.maxChargers, { change: sec.value.change, audit });
    return r.ok ? { ok: true, value: { charger: r.value, password: sec.value.password } } : r;
  }

  async updateCharger(actor: WriteActor, id: string, input: ChargerInput, expectedVersion: ExpectedVersion): Promise<WriteResult<ChargerRecord>> {
    if (!isUuid(id)) return notFound('id', 'charger');
    const v = validateChargerPatch(input);
    if (!v.ok) return v;
    if (v.value.stationId !== undefined && !this.mayTouchStation(actor, v.value.stationId)) return notFound('stationId', 'station');
    return this.store.updateCharger(actor.tenantId, id, v.value, expectedVersion, actor.stationIds, actor.audit);
  }

  async retireCharger(actor: WriteActor, id: string, expectedVersion: ExpectedVersion): Promise<WriteResult<ChargerRecord>> {
    if (!isUuid(id)) return notFound('id', 'charger');
    return this.store.retireCharger(actor.tenantId, id, expectedVersion, actor.stationIds, actor.audit);
  }

  async createConnector(actor: WriteActor, chargerId: string, input: ConnectorInput): Promise<WriteResult<ConnectorRecord>> {
    if (!isUuid(chargerId)) return notFound('chargerId', 'charger');
    const v = validateConnectorCreate(input);
    if (!v.ok) return v;
    return this.store.createConnector(actor.tenantId, chargerId, v.value, actor.stationIds, actor.audit);
  }

  async updateConnector(actor: WriteActor, id: string, input: ConnectorInput, expectedVersion: ExpectedVersion): Promise<WriteResult<ConnectorRecord>> {
    if (!isUuid(id)) return notFound('id', 'connector');
    const v = validateConnectorPatch(input);
    if (!v.ok) return v;
    return this.store.updateConnector(actor.tenantId, id, v.value, expectedVersion, actor.stationIds, actor.audit);
  }

  async retireConnector(actor: WriteActor, id: string, expectedVersion: ExpectedVersion): Promise<WriteResult<ConnectorRecord>> {
    if (!isUuid(id)) return notFound('id', 'connector');
    return this.store.retireConnector(actor.tenantId, id, expectedVersion, actor.stationIds, actor.audit);
  }

  private mayTouchStation(actor: WriteActor, stationId: string): boolean {
    return isUuid(stationId) && (actor.stationIds === null || actor.stationIds.includes(stationId));
  }

  private async quotasOf(tenantId: string): Promise<WriteResult<{ maxStations: number | null; maxChargers: number | null }>> {
    // Throws DEPENDENCY_UNAVAILABLE (retriable) when the tenants service cannot answer.
    const q = await this.quotas.quotasOf(tenantId);
    if (!q) return failed(userError(UserErrorCodes.UNKNOWN_TENANT, null, 'the tenants service does not know this tenant; nothing can be created for it'));
    return { ok: true, value: q };
  }
}
