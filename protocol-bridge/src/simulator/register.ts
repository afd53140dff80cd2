/**
 * Registering a simulated fleet the way an operator would: through the
 * platform's GraphQL API (the router), signed in as a user with station:write
 * and charger:write. Each OCPP charger's password comes back from the API
 * (createCharger for a new charger, rotateChargerCredential for one that exists:
 * a password is only ever shown once), and each YKC pile's login identity is
 * registered with it — so the simulated chargers connect exactly as real ones
 * must.
 */
import { simulatedPileIdentity } from './ykc-pile';

export interface FleetToRegister {
  /** the router's GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql */
  routerUrl: string;
  /** an access token (login) */
  token: string;
  /** the station new chargers are created at (created if missing) */
  stationCode: string;
  ocpp: string[];
  ykc: { pileNo: string; guns: number }[];
  connectors: number;
}

export interface RegisteredFleet {
  /** OCPP charger → its Basic-auth password */
  passwords: Map<string, string>;
  /** Chargers the API would not register for this user (e.g. a code another tenant holds), with why. */
  refused: { code: string; reason: string }[];
}

class ApiError extends Error {}

async function gql<T>(url: string, token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json().catch(() => null)) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] } | null;
  if (!body || body.errors?.length || !body.data) {
    const e = body?.errors?.[0];
    throw new ApiError(e ? `${e.extensions?.code ?? 'ERROR'}: ${e.message}` : `HTTP ${res.status}`);
  }
  return body.data;
}

type UserErrors = { code: string; field: string | null; message: string }[];
const describe = (errors: UserErrors) => errors.map((e) => `${e.code}${e.field ? ` (${e.field})` : ''}: ${e.message}`).join('; ');

/** Sign in through the router (the tenants subgraph's login); returns the access token. */
export async function signIn(routerUrl: string, tenantCode: string, username: string, password: string): Promise<string> {
  const d = await gql<{ login: { accessToken: string | null; userErrors: UserErrors } }>(
    routerUrl,
    null,
    /* GraphQL */ `mutation SimulatorSignIn($i: LoginInput!) { login(input: $i) { accessToken userErrors { code field message } } }`,
    { i: { tenantCode, username, password } },
  );
  if (!d.login.accessToken) throw new ApiError(`sign-in refused: ${describe(d.login.userErrors)}`);
  return d.login.accessToken;
}

async function stationId(f: FleetToRegister): Promise<string> {
  const d = await gql<{ stations: { edges: { node: { id: string; code: string } }[] } }>(
    f.routerUrl,
    f.token,
    /* GraphQL */ `query SimulatorStationsByCode($p: String!) { stations(first: 10, filter: { codePrefix: $p }) { edges { node { id code } } } }`,
    { p: f.stationCode },
  );
  const found = d.stations.edges.find((e) => e.node.code === f.stationCode);
  if (found) return found.node.id;
  const c = await gql<{ createStation: { station: { id: string } | null; userErrors: UserErrors } }>(
    f.routerUrl,
    f.token,
    /* GraphQL */ `mutation SimulatorCreateStation($i: CreateStationInput!) { createStation(input: $i) { station { id } userErrors { code field message } } }`,
    { i: { code: f.stationCode, name: `Simulated fleet ${f.stationCode}` } },
  );
  if (!c.createStation.station) throw new ApiError(`station ${f.stationCode}: ${describe(c.createStation.userErrors)}`);
  return c.createStation.station.id;
}

/** Register (or re-credential) every charger of the fleet. Chargers the API refuses are listed, not thrown. */
export async function registerFleet(f: FleetToRegister): Promise<RegisteredFleet> {
  const out: RegisteredFleet = { passwords: new Map(), refused: [] };
  let station: string | undefined;
  const connectors = Array.from({ length: f.connectors }, (_, i) => ({ connectorNo: i + 1 }));
  const existing = async (code: string) =>
    (
      await gql<{ chargerByCode: { id: string } | null }>(
        f.routerUrl,
        f.token,
        /* GraphQL */ `query SimulatorChargerByCode($c: String!) { chargerByCode(code: $c) { id } }`,
        { c: code },
      )
    ).chargerByCode;
  const create = async (code: string, input: Record<string, unknown>) => {
    station ??= await stationId(f);
    const d = await gql<{ createCharger: { charger: { id: string } | null; credential: { password: string } | null; userErrors: UserErrors } }>(
      f.routerUrl,
      f.token,
      /* GraphQL */ `mutation SimulatorCreateCharger($i: CreateChargerInput!) { createCharger(input: $i) { charger { id } credential { password } userErrors { code field message } } }`,
      { i: { stationId: station, code, currentType: 'DC', ratedPowerKw: '60', connectors, ...input } },
    );
    if (!d.createCharger.charger) out.refused.push({ code, reason: describe(d.createCharger.userErrors) });
    return d.createCharger;
  };

  for (const code of f.ocpp) {
    const found = await existing(code);
    if (found) {
      const d = await gql<{ rotateChargerCredential: { credential: { password: string } | null; userErrors: UserErrors } }>(
        f.routerUrl,
        f.token,
        /* GraphQL */ `mutation SimulatorRotateChargerCredential($id: ID!) { rotateChargerCredential(chargerId: $id) { credential { password } userErrors { code field message } } }`,
        { id: found.id },
      );
      if (d.rotateChargerCredential.credential) out.passwords.set(code, d.rotateChargerCredential.credential.password);
      else out.refused.push({ code, reason: describe(d.rotateChargerCredential.userErrors) });
    } else {
      const c = await create(code, { protocol: 'OCPP16' });
      if (c.credential) out.passwords.set(code, c.credential.password);
    }
  }
  for (const { pileNo, guns } of f.ykc) {
    const identity = simulatedPileIdentity(pileNo, guns);
    const found = await existing(pileNo);
    if (found) {
      const d = await gql<{ registerYkcPileIdentity: { userErrors: UserErrors } }>(
        f.routerUrl,
        f.token,
        /* GraphQL */ `mutation SimulatorRegisterYkcPileIdentity($id: ID!, $i: YkcPileIdentityInput!) { registerYkcPileIdentity(chargerId: $id, identity: $i) { userErrors { code field message } } }`,
        { id: found.id, i: identity },
      );
      if (d.registerYkcPileIdentity.userErrors.length) out.refused.push({ code: pileNo, reason: describe(d.registerYkcPileIdentity.userErrors) });
    } else {
      await create(pileNo, { protocol: 'YKC', security: { ykcIdentity: identity } });
    }
  }
  return out;
}
