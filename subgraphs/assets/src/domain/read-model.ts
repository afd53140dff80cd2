import type { KeysetWindow } from '@evcs/platform';
import type { ChargerRecord, ConnectorRecord, StationRecord } from './records';

/* What the API reads: scopes, keyset pages, filters and read-side rows, shared by the
   persistence layer (which answers them) and the GraphQL layer (which asks). */

export type StationRow = StationRecord;
export type ChargerRow = ChargerRecord;
export type ConnectorRow = ConnectorRecord;

/** What a request may read: its tenants, and optionally only some stations. */
export interface AssetsReadScope {
  tenantId: string;
  tenantIds: readonly string[];
  /** null = every station of those tenants */
  stationIds: readonly string[] | null;
}

/** Keyset position: rows strictly after (code, id) in (code, id) order. */
export interface CodeKey {
  code: string;
  id: string;
}

/** A keyset page of a (code, id)-ordered list: `size` rows (one more is read) after or before `cursor`. */
export type Page = KeysetWindow<CodeKey>;

export interface StationFilter {
  status?: readonly string[] | null;
  codePrefix?: string | null;
  /** case-insensitive substring of code, name or address */
  search?: string | null;
  includeRetired?: boolean | null;
}

export interface ChargerFilter {
  stationIds?: readonly string[] | null;
  online?: boolean | null;
  protocol?: string | null;
  currentType?: string | null;
  /** chargers having at least one (active) connector in one of these statuses */
  connectorStatus?: readonly string[] | null;
  codePrefix?: string | null;
  includeRetired?: boolean | null;
}

export interface StationStatsRow {
  station_id: string;
  chargers_total: number;
  chargers_online: number;
  /** active connectors per status, statuses with no connector left out */
  connectors_by_status: { status: string; count: number }[];
}

export interface StatusHistoryRow {
  id: string;
  connector_id: string;
  status: string;
  error_code: string | null;
  occurred_at: Date;
  recorded_at: Date;
}
