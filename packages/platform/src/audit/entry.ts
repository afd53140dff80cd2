import type { Knex } from 'knex';
import { AppError, ErrorCodes, TenantContextMissingError } from '../errors';
import type { Identity } from '../identity';

export const AUDIT_ACTOR_TYPES = ['USER', 'SERVICE', 'CHARGER'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

/**
 * Who made a change and from where: what every audit entry of a request carries. Built from
 * the verified identity and the router-signed request claims (auditActorOf), never from
 * anything a client sends; domain services take it as given.
 */
export interface AuditActor {
  type: AuditActorType;
  /** user id, service name or charger id */
  id: string;
  /** who really acts when a platform admin acts in this tenant on another's behalf */
  onBehalfOf: string | null;
  requestId: string | null;
  /** the end client's address as the router saw it */
  clientAddress: string | null;
}

/** One change to record. `before`/`after` never carry secrets (passwords, hashes, tokens). */
export interface AuditEntryInput {
  tenantId: string;
  actor: AuditActor;
  /** UPPER_SNAKE, e.g. TARIFF_PLAN_CREATED */
  action: string;
  target: { type: string; id: string };
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  details?: Record<string, unknown> | null;
}

/** The actor of a request: its verified identity, with the router-signed request id and client address. */
export function auditActorOf(req: { identity: Identity; requestId: string | null; clientIp: string | null }): AuditActor {
  return {
    type: req.identity.kind === 'service' ? 'SERVICE' : 'USER',
    id: req.identity.subject,
    onBehalfOf: req.identity.actor?.subject ?? null,
    requestId: req.requestId,
    clientAddress: req.clientIp,
  };
}

/** A service acting on its own (a scheduler, a payment channel's answer): no request behind it. */
export const serviceAuditActor = (service: string): AuditActor => ({ type: 'SERVICE', id: service, onBehalfOf: null, requestId: null, clientAddress: null });

/** A charger acting through the protocol bridge (what it reports changes things). */
export const chargerAuditActor = (chargerId: string, requestId: string | null = null): AuditActor => ({
  type: 'CHARGER',
  id: chargerId,
  onBehalfOf: null,
  requestId,
  clientAddress: null,
});

const ACTION = /^[A-Z][A-Z0-9_]{1,63}$/;
const TARGET_TYPE = /^[a-z][a-z0-9-]{0,62}$/;

const json = (v: Record<string, unknown> | null | undefined) => (v === undefined || v === null ? null : JSON.stringify(v));

function rowOf(e: AuditEntryInput) {
  if (!e.tenantId) throw new TenantContextMissingError(`audit ${e.action}`);
  if (!ACTION.test(e.action)) throw new AppError(ErrorCodes.INTERNAL, `audit action is not UPPER_SNAKE: ${e.action}`);
  if (!TARGET_TYPE.test(e.target.type)) throw new AppError(ErrorCodes.INTERNAL, `audit target type is not kebab-case: ${e.target.type}`);
  return {
    tenant_id: e.tenantId,
    actor_type: e.actor.type,
    actor_id: e.actor.id,
    on_behalf_of: e.actor.onBehalfOf,
    action: e.action,
    target_type: e.target.type,
    target_id: e.target.id,
    before: json(e.before),
    after: json(e.after),
    details: json(e.details),
    request_id: e.actor.requestId,
    client_address: e.actor.clientAddress,
  };
}

/**
 * The one way a service audits a change: in `trx`, the transaction that makes the change, so
 * the entry exists exactly when the change commits. The table is the service's own
 * `audit_entries` (first on its search_path); RLS refuses an entry for another tenant.
 */
export async function appendAuditEntry(trx: Knex.Transaction, entry: AuditEntryInput): Promise<string> {
  return (await appendAuditEntries(trx, [entry]))[0];
}

export async function appendAuditEntries(trx: Knex.Transaction, entries: readonly AuditEntryInput[]): Promise<string[]> {
  if (entries.length === 0) return [];
  const inserted: { id: string | number }[] = await trx('audit_entries').insert(entries.map(rowOf)).returning('id');
  return inserted.map((r) => String(r.id));
}
