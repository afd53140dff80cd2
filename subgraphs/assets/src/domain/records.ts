/**
 * Stored assets as persistence returns them (snake_case, as the columns are).
 * numeric columns arrive as exact decimal strings, never floats.
 */
export interface StationRecord {
  id: string;
  tenant_id: string;
  code: string;
  name: string;
  address: string | null;
  latitude: string | null;
  longitude: string | null;
  timezone: string;
  status: string;
  version: number;
  retired_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface ChargerRecord {
  id: string;
  tenant_id: string;
  station_id: string;
  code: string;
  current_type: string;
  rated_power_kw: string | null;
  protocol: string;
  vendor: string | null;
  model: string | null;
  firmware_version: string | null;
  firmware_status?: string | null;
  firmware_status_at?: Date | null;
  diagnostics_status?: string | null;
  diagnostics_status_at?: Date | null;
  registration_state: string;
  online: boolean;
  last_seen_at: Date | null;
  version: number;
  retired_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface ConnectorRecord {
  id: string;
  tenant_id: string;
  charger_id: string;
  connector_no: number;
  plug_type: string | null;
  max_power_kw: string | null;
  status: string;
  error_code: string | null;
  status_at: Date | null;
  version: number;
  retired_at: Date | null;
  created_at: Date;
  updated_at: Date;
}
