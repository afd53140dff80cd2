import { fieldOf, isTimeZone, parseInput, userIssue } from '@evcs/platform';
import { z } from 'zod';
/**
 * Input rules for asset writes, checked at the edge before anything touches the
 * database: zod schemas whose problems become the platform's UserErrors
 * (parseInput). Each validator returns every problem at once (field-named,
 * `connectors[2].maxPowerKw`), so a form can show them all; and a normalised
 * value (trimmed, defaults applied) when there are none.
 */
import {
  CHARGER_PROTOCOLS,
  ChargerCreate,
  ChargerPatch,
  ChargerProtocolValue,
  ConnectorCreate,
  ConnectorPatch,
  CURRENT_TYPES,
  CurrentTypeValue,
  PLUG_TYPES,
  PlugTypeValue,
  STATION_STATUSES,
  StationCreate,
  StationPatch,
  StationStatusValue,
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

const CODES = { required: UserErrorCodes.REQUIRED, invalid: UserErrorCodes.INVALID };
const parse = <T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, input: unknown): WriteResult<T> => parseInput(schema, input, { codes: CODES });

const problem = (ctx: z.RefinementCtx, code: keyof typeof UserErrorCodes, message: string, path?: (string | number)[]): void =>
  userIssue(ctx, UserErrorCodes[code], message, path);

// ---- field schemas ------------------------------------------------------------------------
// Each accepts what the GraphQL input may hold (a value, null, absent) and reports under its own
// field name, so nested fields read `connectors[1].maxPowerKw` in messages as in `field`.

/** Trimmed text; blank is missing (null). */
function text(o: { required: boolean; max: number; pattern?: RegExp; patternHint?: string }) {
  return z
    .string()
    .nullish()
    .transform((v, ctx): string | null => {
      const s = v?.trim() ?? '';
      const field = fieldOf(ctx);
      if (!s) {
        if (o.required) problem(ctx, 'REQUIRED', `${field} is required`);
        return null;
      }
      if (s.length > o.max) problem(ctx, 'INVALID', `${field} must be at most ${o.max} characters`);
      else if (o.pattern && !o.pattern.test(s)) problem(ctx, 'INVALID', `${field} ${o.patternHint ?? 'has an invalid format'}`);
      return s;
    });
}

/** An exact kW decimal string (see parsePowerKw). */
function power(required: boolean) {
  return z
    .string()
    .nullish()
    .transform((v, ctx): string | null => {
      const field = fieldOf(ctx);
      if (v === null || v === undefined || v.trim() === '') {
        if (required) problem(ctx, 'REQUIRED', `${field} is required`);
        return null;
      }
      const p = parsePowerKw(v);
      if (p === null) problem(ctx, 'INVALID', `${field} must be a positive decimal number of kW with at most 2 decimals (e.g. "7.4", "120")`);
      return p;
    });
}

function coordinate(limit: 90 | 180) {
  return z
    .number()
    .nullish()
    .superRefine((v, ctx) => {
      if (v !== null && v !== undefined && (!Number.isFinite(v) || v < -limit || v > limit))
        problem(ctx, 'INVALID', `${fieldOf(ctx)} must be between -${limit} and ${limit}`);
    });
}

const TIMEZONE_HINT = `timezone must be an IANA timezone such as ${DEFAULT_TIMEZONE}`;

/** CLOSED is final and only reached through retireStation, which checks what it would orphan. */
const notClosed = (v: StationStatusValue | null | undefined, ctx: z.RefinementCtx): void => {
  if (v === 'CLOSED') problem(ctx, 'INVALID', 'a station is closed by retiring it (retireStation)');
};

const stationCode = text({
  required: true,
  max: 64,
  pattern: STATION_CODE,
  patternHint: 'may contain letters, digits, _ . - and must start with a letter or digit',
});
const stationName = text({ required: true, max: 200 });
const address = text({ required: false, max: 500 });
const detail = text({ required: false, max: 100 });

/** A patch's value that can be changed but not cleared (null is refused). */
const notCleared = <T extends z.ZodTypeAny>(field: string, schema: T) =>
  schema.nullable().superRefine((v, ctx) => {
    if (v === null) problem(ctx, 'REQUIRED', `${field} cannot be cleared`);
  });

// ---- stations -----------------------------------------------------------------------------

export interface StationInput {
  code?: Maybe<string>;
  name?: Maybe<string>;
  address?: Maybe<string>;
  latitude?: Maybe<number>;
  longitude?: Maybe<number>;
  timezone?: Maybe<string>;
  status?: Maybe<StationStatusValue>;
}

/** Latitude and longitude come as a pair; a patch gives both keys or neither. */
function pairedCoordinates(input: StationInput, ctx: z.RefinementCtx, patch: boolean): void {
  const hasLat = input.latitude !== undefined && input.latitude !== null;
  const hasLng = input.longitude !== undefined && input.longitude !== null;
  if (patch && (input.latitude === undefined) !== (input.longitude === undefined)) {
    problem(ctx, 'INVALID', 'latitude and longitude are set together', [input.latitude === undefined ? 'latitude' : 'longitude']);
  } else if (hasLat !== hasLng) {
    problem(ctx, 'REQUIRED', 'latitude and longitude are set together', [hasLat ? 'longitude' : 'latitude']);
  }
}

const stationCreate = z
  .object({
    code: stationCode,
    name: stationName,
    address,
    latitude: coordinate(90),
    longitude: coordinate(180),
    timezone: z
      .string()
      .nullish()
      .transform((v, ctx) => {
        const tz = v?.trim() || DEFAULT_TIMEZONE;
        if (!isValidTimezone(tz)) problem(ctx, 'INVALID', TIMEZONE_HINT);
        return tz;
      }),
    status: z.enum(STATION_STATUSES).nullish().superRefine(notClosed),
  })
  .superRefine((v, ctx) => pairedCoordinates(v, ctx, false))
  .transform((v): StationCreate => ({
    code: v.code ?? '',
    name: v.name ?? '',
    address: v.address,
    latitude: v.latitude ?? null,
    longitude: v.longitude ?? null,
    timezone: v.timezone,
    status: v.status ?? 'OPERATING',
  }));

const stationPatch = z
  .object({
    code: stationCode.optional(),
    name: stationName.optional(),
    address: address.optional(),
    latitude: coordinate(90),
    longitude: coordinate(180),
    timezone: z
      .string()
      .nullable()
      .transform((v, ctx) => {
        const tz = v?.trim() ?? '';
        if (!tz) problem(ctx, 'REQUIRED', 'timezone cannot be cleared');
        else if (!isValidTimezone(tz)) problem(ctx, 'INVALID', TIMEZONE_HINT);
        return tz;
      })
      .optional(),
    status: notCleared('status', z.enum(STATION_STATUSES)).superRefine(notClosed).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.latitude !== undefined || v.longitude !== undefined) pairedCoordinates(v, ctx, true);
  })
  .transform((v): StationPatch => {
    const patch: StationPatch = {};
    if (v.code !== undefined) patch.code = v.code ?? '';
    if (v.name !== undefined) patch.name = v.name ?? '';
    if (v.address !== undefined) patch.address = v.address;
    if (v.latitude !== undefined || v.longitude !== undefined) {
      patch.latitude = v.latitude ?? null;
      patch.longitude = v.longitude ?? null;
    }
    if (v.timezone !== undefined) patch.timezone = v.timezone;
    if (v.status) patch.status = v.status;
    return patch;
  });

export const validateStationCreate = (input: StationInput): WriteResult<StationCreate> => parse(stationCreate, input);
export const validateStationPatch = (input: StationInput): WriteResult<StationPatch> => parse(stationPatch, input);

// ---- connectors ---------------------------------------------------------------------------

export interface ConnectorInput {
  connectorNo?: Maybe<number>;
  plugType?: Maybe<PlugTypeValue>;
  maxPowerKw?: Maybe<string>;
}

const connectorNo = z
  .number()
  .nullish()
  .superRefine((v, ctx) => {
    if (v === null || v === undefined) problem(ctx, 'REQUIRED', 'connectorNo is required');
    else if (!Number.isInteger(v) || v < 1 || v > 255) problem(ctx, 'INVALID', 'connectorNo must be between 1 and 255 (0 is the charger itself)');
  });

const plugType = z.enum(PLUG_TYPES).nullish();

/*
 * The value is built only at the top (a zod transform over a value with problems aborts its parents,
 * and the checks that span fields would not run): nested schemas check, the top-level transform builds.
 */
const connectorFields = z.object({ connectorNo, plugType, maxPowerKw: power(false) });
const toConnector = (v: z.output<typeof connectorFields>): ConnectorCreate => ({
  connectorNo: v.connectorNo ?? 0,
  plugType: v.plugType ?? null,
  maxPowerKw: v.maxPowerKw,
});
const connectorCreate = connectorFields.transform(toConnector);

const connectorPatch = z.object({ plugType: plugType, maxPowerKw: power(false).optional() }).transform((v): ConnectorPatch => {
  const patch: ConnectorPatch = {};
  if (v.plugType !== undefined) patch.plugType = v.plugType;
  if (v.maxPowerKw !== undefined) patch.maxPowerKw = v.maxPowerKw;
  return patch;
});

export const validateConnectorCreate = (input: ConnectorInput): WriteResult<ConnectorCreate> => parse(connectorCreate, input);
export const validateConnectorPatch = (input: ConnectorInput): WriteResult<ConnectorPatch> => parse(connectorPatch, input);

// ---- chargers -----------------------------------------------------------------------------

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

const stationId = text({ required: true, max: 36 });
const ocppCode = text({
  required: true,
  max: 48,
  pattern: CHARGER_CODE,
  patternHint: 'may contain letters, digits, _ . : - and must start with a letter or digit',
});
const ykcCode = text({ required: true, max: 14, pattern: YKC_PILE_CODE, patternHint: 'of a YKC charger is its 14-digit pile code' });

const connectorList = z
  .array(connectorFields)
  .nullish()
  .superRefine((list, ctx) => {
    if (list && list.length > MAX_CONNECTORS_PER_CHARGER) problem(ctx, 'INVALID', `at most ${MAX_CONNECTORS_PER_CHARGER} connectors per charger`);
  });

/** Connector numbers are unique per charger: a number listed twice is reported where it repeats. */
function duplicateConnectors(list: readonly { connectorNo?: Maybe<number> }[], ctx: z.RefinementCtx): void {
  const seen = new Set<number>();
  list.forEach((k, i) => {
    const no = k.connectorNo;
    if (typeof no === 'number' && seen.has(no)) problem(ctx, 'DUPLICATE', `connector ${no} is listed twice`, ['connectors', i, 'connectorNo']);
    if (typeof no === 'number') seen.add(no);
  });
}

const chargerCreate = z
  .object({
    stationId,
    protocol: z.enum(CHARGER_PROTOCOLS).nullish(),
    code: z.string().nullish(),
    currentType: z
      .enum(CURRENT_TYPES)
      .nullish()
      .superRefine((v, ctx) => {
        if (!v) problem(ctx, 'REQUIRED', 'currentType is required');
      }),
    ratedPowerKw: power(true),
    vendor: detail,
    model: detail,
    firmwareVersion: detail,
    connectors: connectorList,
  })
  // What depends on more than one field: the code's rule is its protocol's; connector numbers are unique.
  .superRefine((v, ctx) => {
    const code = (v.protocol === 'YKC' ? ykcCode : ocppCode).safeParse(v.code, { path: [...ctx.path, 'code'] });
    if (!code.success) for (const issue of code.error.issues) ctx.addIssue({ ...issue, path: issue.path.slice(ctx.path.length) } as z.IssueData);
    duplicateConnectors(v.connectors ?? [], ctx);
  })
  .transform((v): ChargerCreate => ({
    stationId: v.stationId ?? '',
    code: v.code?.trim() ?? '',
    protocol: v.protocol ?? 'OCPP16',
    currentType: v.currentType ?? 'DC',
    ratedPowerKw: v.ratedPowerKw ?? '',
    vendor: v.vendor,
    model: v.model,
    firmwareVersion: v.firmwareVersion,
    connectors: (v.connectors ?? []).map(toConnector),
  }));

export const validateChargerCreate = (input: ChargerInput): WriteResult<ChargerCreate> => parse(chargerCreate, input);

const chargerPatch = z
  .object({
    stationId: stationId.optional(),
    currentType: notCleared('currentType', z.enum(CURRENT_TYPES)).optional(),
    ratedPowerKw: power(true).optional(),
    vendor: detail.optional(),
    model: detail.optional(),
    firmwareVersion: detail.optional(),
  })
  .transform((v): ChargerPatch => {
    const patch: ChargerPatch = {};
    if (v.stationId !== undefined) patch.stationId = v.stationId ?? '';
    if (v.currentType) patch.currentType = v.currentType;
    if (v.ratedPowerKw !== undefined) patch.ratedPowerKw = v.ratedPowerKw ?? '';
    if (v.vendor !== undefined) patch.vendor = v.vendor;
    if (v.model !== undefined) patch.model = v.model;
    if (v.firmwareVersion !== undefined) patch.firmwareVersion = v.firmwareVersion;
    return patch;
  });

export const validateChargerPatch = (input: ChargerInput): WriteResult<ChargerPatch> => parse(chargerPatch, input);
