import { createLogger, generateSigningKey, Identity, Knex, listen, RequestClaims, TokenIssuer, TokenVerifier } from '@evcs/platform';
import { ChargerFacts, ChargerLookup, createTariffsServer, TariffsDeps, TariffsServer } from '../src';

/**
 * Test double of the assets service's answer about chargers (the real one, AssetsChargerLookup, is
 * exercised end to end in ops/dev/test/tariffs.e2e.test.ts): chargers are known once `registered`.
 */
export class RegisteredChargers implements ChargerLookup {
  private readonly byId = new Map<string, ChargerFacts & { tenantId?: string }>();
  register(chargerId: string, facts: ChargerFacts, tenantId?: string): void {
    this.byId.set(chargerId, { ...facts, tenantId });
  }
  async charger(tenantId: string, chargerId: string): Promise<ChargerFacts | null> {
    const c = this.byId.get(chargerId);
    return c && (!c.tenantId || c.tenantId === tenantId) ? { stationId: c.stationId, protocol: c.protocol } : null;
  }
}

export const silent = createLogger('tariffs-test', { level: 'silent' });

export interface Harness {
  url: string;
  srv: TariffsServer;
  /** `request`: the claims the router signs (request id, client address), for audit records */
  token(tenantId: string | null, extra?: Partial<Identity>, request?: RequestClaims): Promise<string>;
  chargers: RegisteredChargers;
  /** A bind input whose charger assets knows at the input's station with the input's protocol. */
  registered<T extends { chargerId: string; stationId: string; protocol: 'OCPP16' | 'YKC' }>(input: T): T;
  gql(query: string, token: string, variables?: Record<string, unknown>): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** Shared signing keys for every harness of one test file (two instances must accept the same tokens). */
let issuer: Promise<{ issuer: TokenIssuer; verifier: TokenVerifier }> | undefined;
function keys() {
  issuer ??= generateSigningKey('router-k').then((k) => ({
    issuer: new TokenIssuer(k, 'evcs-router'),
    verifier: new TokenVerifier({ keys: [k.publicJwk] }, ['evcs-router']),
  }));
  return issuer;
}

/** A real tariffs server on an ephemeral port, with a token helper (operator admin of one tenant by default). */
export async function startTariffs(knex: Knex, deps: Partial<TariffsDeps> = {}): Promise<Harness> {
  const { issuer: iss, verifier } = await keys();
  const chargers = new RegisteredChargers();
  const srv = await createTariffsServer({ knex, verifier, logger: silent, chargers, ...deps });
  const url = `http://127.0.0.1:${await listen(srv.server, 0)}/graphql`;
  return {
    url,
    srv,
    chargers,
    registered: (input) => (chargers.register(input.chargerId, { stationId: input.stationId, protocol: input.protocol }), input),
    token: (tenantId, extra = {}, request) =>
      iss.issue(
        {
          subject: 'admin',
          kind: 'user',
          tenantId,
          roles: ['OPERATOR_ADMIN'],
          permissions: ['tariff:read', 'tariff:write'],
          dataScope: 'TENANT',
          ...extra,
        },
        undefined,
        { request },
      ),
    gql: async (query, token, variables) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: (await res.json()) as any };
    },
    stop: () => srv.stop(),
  };
}

export const CREATE = `mutation($input: CreateTariffPlanInput!) {
  createTariffPlan(input: $input) { plan { id name stationId isDefault status } version { version effectiveFrom segments { start end energyPrice serviceFee } } userErrors { code field message } } }`;
export const REVISE = `mutation($input: ReviseTariffPlanInput!) {
  reviseTariffPlan(input: $input) { plan { id } version { version effectiveFrom } userErrors { code field message } } }`;
export const BIND = `mutation($input: BindChargerTariffInput!) {
  bindChargerTariff(input: $input) { binding { chargerId stationId protocol plan { id } } userErrors { code field message } } }`;
export const PRICE = `query($input: PriceSessionInput!) {
  priceSession(input: $input) { planId source planVersions currency total { minor currency formatted } totalExact energy { wh kwh }
    electricityAmount { minor formatted } serviceAmount { minor formatted }
    items { planVersion segmentNo start end energy { wh } electricityAmount { formatted } serviceAmount { formatted } durationSeconds } } }`;
export const EFFECTIVE = `query($c: ID!, $s: ID) { effectiveTariff(chargerId: $c, stationId: $s) { source plan { id name } } }`;
