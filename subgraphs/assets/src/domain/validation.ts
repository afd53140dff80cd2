import { isTimeZone, isUuid } from '@evcs/platform';
/**
 * Input rules for asset writes, checked at the edge before anything touches the
 * database. Each validator returns every problem at once (field-named), so a
 * form can show them all; and a normalised value (trimmed, defaults applied)
 * when there are none.
 */
import {
  ChargerCreate,
  ChargerPatch,
  ChargerProtocolValue,
  ConnectorCreate,
  ConnectorPatch,
  CurrentTypeValue,
  failed,
  ok,
  PlugTypeValue,
  StationCreate,
  StationPatch,
  StationStatusValue,
  UserError,
  userError,
  UserErrorCodes,
  WriteResult,
} from './model';

export const DEFAULT_TIMEZONE = 'Asia/Shanghai';
export const MAX_CONNECTORS_PER_CHARGER = 32;

const STATION_CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** OCPP-J puts the charge point id in the URL path: keep it to URL-safe characters, 48 at most. */
const CHARGER_CODE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,47}$/;
/** YKC (云快充) pile codes are 7 BCD bytes on the wire: exactly 14 digits. */
const YKC_PILE_CODE = /^\d{14}$/;
/** numeric(8,2): up to 6 integer digits, up to 2 decimals, no sign, no exponent. */
const POWER_KW = /^(0|[1-9]\d{0,5})(\.\d{1,2})?$/;

export const isValidTimezone = (tz: string): boolean => isTimeZone(tz);

/** An exact positive kW value, or null if it is not one. */
export function parsePowerKw(raw: string): string | null {
  const s = raw.trim();
  if (!POWER_KW.test(s)) return null;
  if (/^0(\.0{1,2})?$/.test(s)) return null;
  return s;
}

type Maybe<T> = T | null | undefined;

/** Collects errors while reading fields. */
class Check {
  readonly errors: UserError[] = [];

  add(code: keyof typeof UserErrorCodes, field: string, message: string): void {
    this.errors.push(userError(UserErrorCodes[code], field, message));
  }

  text(field: string, v: Maybe<string>, o: { required: boolean; max: number; pattern?: RegExp; patternHint?: string }): string | null {
    const s = v?.trim() ?? '';
    if (!s) {
      if (o.required) this.add('REQUIRED', field, `${field} is required`);
      return null;
    }
    if (s.length > o.max) this.add('INVALID', field, `${field} must be at most ${o.max} characters`);
    else if (o.pattern && !o.pattern.test(s)) this.add('INVALID', field, `${field} ${o.patternHint ?? 'has an invalid format'}`);
    return s;
  }

  power(field: string, v: Maybe<string>, required: boolean): string | null {
    if (v === null || v === undefined || v.trim() === '') {
      if (required) this.add('REQUIRED', field, `${field} is required`);
      return null;
    }
    const p = parsePowerKw(v);
    if (p === null) this.add('INVALID', field, `${field} must be a positive decimal number of kW with at most 2 decimals (e.g. "7.4", "120")`);
    return p;
  }

  coordinate(field: 'latitude' | 'longitude', v: Maybe<number>): number | null {
    if (v === null || v === undefined) return null;
    const limit = field === 'latitude' ? 90 : 180;
    if (!Number.isFinite(v) || v < -limit || v > limit) this.add('INVALID', field, `${field} must be between -${limit} and ${limit}`);
    return v;
  }

  result<T>(value: T): WriteResult<T> {
    return this.errors.length ? failed(...this.errors) : ok(value);
  }
}

export interface StationInput {
  code?: Maybe<string>;
  name?: Maybe<string>;
  address?: Maybe<string>;
  latitude?: Maybe<number>;
  longitude?: Maybe<number>;
  timezone?: Maybe<string>;
  status?: Maybe<StationStatusValue>;
}

function stationStatus(c: Check, v: Maybe<StationStatusValue>): void {
  // CLOSED is final and only reached through retireStation, which checks what it would orphan.
  if (v === 'CLOSED') c.add('INVALID', 'status', 'a station is closed by retiring it (retireStation)');
}

function coordinates(c: Check, input: StationInput, patch: boolean): void {
  const hasLat = input.latitude !== undefined && input.latitude !== null;
  const hasLng = input.longitude !== undefined && input.longitude !== null;
  if (patch && (input.latitude === undefined) !== (input.longitude === undefined)) {
    c.add('INVALID', input.latitude === undefined ? 'latitude' : 'longitude', 'latitude and longitude are set together');
  } else if (hasLat !== hasLng) {
    c.add('REQUIRED', hasLat ? 'longitude' : 'latitude', 'latitude and longitude are set together');
  }
  c.coordinate('latitude', input.latitude);
  c.coordinate('longitude', input.longitude);
}

function timezone(c: Check, v: string): void {
  if (!isValidTimezone(v)) c.add('INVALID', 'timezone', `timezone must be an IANA timezone such as ${DEFAULT_TIMEZONE}`);
}

export function validateStationCreate(input: StationInput): WriteResult<StationCreate> {
  const c = new Check();
  const code = c.text('code', input.code, {
    required: true,
    max: 64,
    pattern: STATION_CODE,
    patternHint: 'may contain letters, digits, _ . - and must start with a letter or digit',
  });
  const name = c.text('name', input.name, { required: true, max: 200 });
  const address = c.text('address', input.address, { required: false, max: 500 });
  coordinates(c, input, false);
  const tz = input.timezone?.trim() || DEFAULT_TIMEZONE;
  timezone(c, tz);
  stationStatus(c, input.status);
  return c.result({
    code: code ?? '',
    name: name ?? '',
    address,
    latitude: input.latitude ?? null,
    longitude: input.longitude ?? null,
    timezone: tz,
    status: input.status ?? 'OPERATING',
  });
}

export function validateStationPatch(input: StationInput): WriteResult<StationPatch> {
  const c = new Check();
  const patch: StationPatch = {};
  if (input.code !== undefined)
    patch.code =
      c.text('code', input.code, {
        required: true,
        max: 64,
        pattern: STATION_CODE,
        patternHint: 'may contain letters, digits, _ . - and must start with a letter or digit',
      }) ?? '';
  if (input.name !== undefined) patch.name = c.text('name', input.name, { required: true, max: 200 }) ?? '';
  if (input.address !== undefined) patch.address = c.text('address', input.address, { required: false, max: 500 });
  if (input.latitude !== undefined || input.longitude !== undefined) {
    coordinates(c, input, true);
    patch.latitude = input.latitude ?? null;
    patch.longitude = input.longitude ?? null;
  }
  if (input.timezone !== undefined) patch.timezone = patchedTimezone(c, input.timezone);
  if (input.status !== undefined) patch.status = patchedStatus(c, input.status);
  return c.result(patch);
}

function patchedTimezone(c: Check, value: string | null): string {
  const tz = value?.trim() ?? '';
  if (!tz) c.add('REQUIRED', 'timezone', 'timezone cannot be cleared');
  else timezone(c, tz);
  return tz;
}

function patchedStatus(c: Check, value: StationStatusValue | null): StationStatusValue | undefined {
  if (value === null) c.add('REQUIRED', 'status', 'status cannot be cleared');
  else stationStatus(c, value);
  return value ?? undefined;
}

export interface ConnectorInput {
  connectorNo?: Maybe<number>;
  plugType?: Maybe<PlugTypeValue>;
  maxPowerKw?: Maybe<string>;
}

function connectorNo(c: Check, field: string, v: Maybe<number>): number {
  if (v === null || v === undefined) c.add('REQUIRED', field, 'connectorNo is required');
  else if (!Number.isInteger(v) || v < 1 || v > 255) c.add('INVALID', field, 'connectorNo must be between 1 and 255 (0 is the charger itself)');
  return v ?? 0;
}

export function validateConnectorCreate(input: ConnectorInput, prefix = ''): WriteResult<ConnectorCreate> {
  const c = new Check();
  const no = connectorNo(c, `${prefix}connectorNo`, input.connectorNo);
  const maxPowerKw = c.power(`${prefix}maxPowerKw`, input.maxPowerKw, false);
  return c.result({ connectorNo: no, plugType: input.plugType ?? null, maxPowerKw });
}

export function validateConnectorPatch(input: ConnectorInput): WriteResult<ConnectorPatch> {
  const c = new Check();
  const patch: ConnectorPatch = {};
  if (input.plugType !== undefined) patch.plugType = input.plugType;
  if (input.maxPowerKw !== undefined) patch.maxPowerKw = c.power('maxPowerKw', input.maxPowerKw, false);
  return c.result(patch);
}

export interface ChargerInput {
  stationId?: Maybe<string>;
  code?: Maybe<string>;
  protocol?: Maybe<ChargerProtocolValue>;
  currentType?: Maybe<CurrentTypeValue>;
  ratedPowerKw?: Maybe<string>;
  vendor?: Maybe<string>;
  model?: Maybe<string>;
  firmwareVersion?: Maybe<string>;
  connectors?: Maybe<ConnectorInput[]>;
}

export function validateChargerCreate(input: ChargerInput): WriteResult<ChargerCreate> {
  const c = new Check();
  const stationId = c.text('stationId', input.stationId, { required: true, max: 36 });
  const protocol = input.protocol ?? 'OCPP16';
  const code =
    protocol === 'YKC'
      ? c.text('code', input.code, { required: true, max: 14, pattern: YKC_PILE_CODE, patternHint: 'of a YKC charger is its 14-digit pile code' })
      : c.text('code', input.code, {
          required: true,
          max: 48,
          pattern: CHARGER_CODE,
          patternHint: 'may contain letters, digits, _ . : - and must start with a letter or digit',
        });
  if (!input.currentType) c.add('REQUIRED', 'currentType', 'currentType is required');
  const ratedPowerKw = c.power('ratedPowerKw', input.ratedPowerKw, true);
  const vendor = c.text('vendor', input.vendor, { required: false, max: 100 });
  const model = c.text('model', input.model, { required: false, max: 100 });
  const firmwareVersion = c.text('firmwareVersion', input.firmwareVersion, { required: false, max: 100 });
  const connectors: ConnectorCreate[] = [];
  const list = input.connectors ?? [];
  if (list.length > MAX_CONNECTORS_PER_CHARGER) c.add('INVALID', 'connectors', `at most ${MAX_CONNECTORS_PER_CHARGER} connectors per charger`);
  const seen = new Set<number>();
  list.forEach((raw, i) => {
    const r = validateConnectorCreate(raw, `connectors[${i}].`);
    const no = raw.connectorNo;
    if (typeof no === 'number' && seen.has(no)) c.add('DUPLICATE', `connectors[${i}].connectorNo`, `connector ${no} is listed twice`);
    if (typeof no === 'number') seen.add(no);
    if (!r.ok) c.errors.push(...r.errors);
    else connectors.push(r.value);
  });
  return c.result({
    stationId: stationId ?? '',
    code: code ?? '',
    protocol,
    currentType: input.currentType ?? 'DC',
    ratedPowerKw: ratedPowerKw ?? '',
    vendor,
    model,
    firmwareVersion,
    connectors,
  });
}

export function validateChargerPatch(input: ChargerInput): WriteResult<ChargerPatch> {
  const c = new Check();
  const patch: ChargerPatch = {};
  if (input.stationId !== undefined) patch.stationId = c.text('stationId', input.stationId, { required: true, max: 36 }) ?? '';
  if (input.currentType !== undefined) {
    if (input.currentType === null) c.add('REQUIRED', 'currentType', 'currentType cannot be cleared');
    else patch.currentType = input.currentType;
  }
  if (input.ratedPowerKw !== undefined) patch.ratedPowerKw = c.power('ratedPowerKw', input.ratedPowerKw, true) ?? '';
  if (input.vendor !== undefined) patch.vendor = c.text('vendor', input.vendor, { required: false, max: 100 });
  if (input.model !== undefined) patch.model = c.text('model', input.model, { required: false, max: 100 });
  if (input.firmwareVersion !== undefined) patch.firmwareVersion = c.text('firmwareVersion', input.firmwareVersion, { required: false, max: 100 });
  return c.result(patch);
}
