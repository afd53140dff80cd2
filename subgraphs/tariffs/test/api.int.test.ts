import { randomUUID } from 'node:crypto';
import { createKnex, Knex } from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { migrations, toYkcBillingModel, ykcModelNumber } from '../src';
import { segmentsFromRecords } from '../src/domain/plan';
import { aTariff, EXAMPLE_SEGMENTS, FIVE_PRICES, seg } from './builders';
import { BIND, CREATE, EFFECTIVE, Harness, PRICE, REVISE, startTariffs } from './harness';

describe('tariffs subgraph API (real Postgres, real HTTP)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let h: Harness;
  let admin: string;
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const station1 = randomUUID();
  const station2 = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'tariffs' });
    h = await startTariffs(knex);
    admin = await h.token(tenantA);
  });
  afterAll(async () => {
    await h?.stop();
    await knex?.destroy();
    await db?.drop();
  });

  const create = async (input: Record<string, unknown>, token = admin) => (await h.gql(CREATE, token, { input })).body;
  const createOk = async (input: Record<string, unknown>, token = admin) => {
    const body = await create(input, token);
    expect(body.errors).toBeUndefined();
    expect(body.data.createTariffPlan.userErrors).toEqual([]);
    return body.data.createTariffPlan.plan.id as string;
  };

  it('creates a station plan with its version 1, prices as 4-place decimal strings', async () => {
    const body = await create(aTariff({ stationId: station1, name: 'Peak/valley' }));
    const r = body.data.createTariffPlan;
    expect(r.userErrors).toEqual([]);
    expect(r.plan).toMatchObject({ name: 'Peak/valley', stationId: station1, isDefault: false, status: 'ACTIVE' });
    expect(r.version.version).toBe(1);
    expect(r.version.segments[2]).toEqual({ start: '18:00', end: '24:00', energyPrice: '0.7800', serviceFee: '0.3800' });
  });

  it('refuses an invalid plan with userErrors naming the offending segment', async () => {
    const body = await create(aTariff({ segments: [seg('00:00', '08:00'), seg('08:00', '18:00'), seg('18:00', '24:00'), seg('17:00', '19:00')] }));
    expect(body.data.createTariffPlan.plan).toBeNull();
    expect(body.data.createTariffPlan.userErrors).toEqual([
      { code: 'SEGMENT_OVERLAP', field: 'segments[3]', message: 'segment 4 (17:00–19:00) overlaps segment 2 (08:00–18:00) at 17:00' },
      { code: 'SEGMENT_OVERLAP', field: 'segments[3]', message: 'segment 4 (17:00–19:00) overlaps segment 3 (18:00–24:00) at 18:00' },
    ]);
    const gap = await create(aTariff({ segments: [seg('00:00', '08:00')], currency: 'yuan', timezone: 'Nowhere/Land' }));
    expect(gap.data.createTariffPlan.userErrors.map((e: { code: string }) => e.code)).toEqual(['INVALID_CURRENCY', 'INVALID_TIMEZONE', 'SEGMENTS_INCOMPLETE']);
  });

  it('refuses money as a JSON number (no floats) with BAD_USER_INPUT', async () => {
    const r = await h.gql(CREATE, admin, { input: aTariff({ segments: [{ start: '00:00', end: '24:00', energyPrice: 0.68, serviceFee: '0.35' } as never] }) });
    expect(r.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('enforces at most 16 active plans per station, even under 24 concurrent creates', async () => {
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => create(aTariff({ stationId: station2, name: `P${i}` }))));
    const ok = results.filter((b) => b.data.createTariffPlan.plan);
    const refused = results.filter((b) => !b.data.createTariffPlan.plan);
    expect(ok).toHaveLength(16);
    expect(refused).toHaveLength(8);
    expect(refused[0].data.createTariffPlan.userErrors[0]).toMatchObject({ code: 'PLAN_LIMIT_REACHED', field: 'stationId' });
    // retiring one frees a slot
    const retire = await h.gql('mutation($id: ID!) { retireTariffPlan(planId: $id) { plan { status } userErrors { code } } }', admin, {
      id: ok[0].data.createTariffPlan.plan.id,
    });
    expect(retire.body.data.retireTariffPlan.plan.status).toBe('RETIRED');
    await createOk(aTariff({ stationId: station2, name: 'P-after-retire' }));
    expect((await create(aTariff({ stationId: station2, name: 'P-17' }))).data.createTariffPlan.userErrors[0].code).toBe('PLAN_LIMIT_REACHED');
  });

  describe('resolution: charger binding → station default → tenant default, and pricing uses it', () => {
    const [boundCharger, unboundCharger, elsewhere] = [randomUUID(), randomUUID(), randomUUID()];
    const station = randomUUID();
    let tenantDefault: string;
    let stationDefault: string;
    let bound: string;

    beforeAll(async () => {
      tenantDefault = await createOk(aTariff({ name: 'Tenant default', isDefault: true, segments: [seg('00:00', '24:00', '2.0000', '0.0000')] }));
      stationDefault = await createOk(
        aTariff({ stationId: station, name: 'Station default', isDefault: true, segments: [seg('00:00', '24:00', '3.0000', '0.0000')] }),
      );
      bound = await createOk(aTariff({ stationId: station, name: 'Example plan' }));
      const b = await h.gql(BIND, admin, { input: h.registered({ chargerId: boundCharger, stationId: station, protocol: 'OCPP16', planId: bound }) });
      expect(b.body.data.bindChargerTariff.userErrors).toEqual([]);
    });

    it('resolves each level', async () => {
      const eff = async (c: string, s: string | null) => (await h.gql(EFFECTIVE, admin, { c, s })).body.data.effectiveTariff;
      expect(await eff(boundCharger, null)).toEqual({ source: 'CHARGER', plan: { id: bound, name: 'Example plan' } });
      expect(await eff(unboundCharger, station)).toEqual({ source: 'STATION', plan: { id: stationDefault, name: 'Station default' } });
      expect(await eff(elsewhere, randomUUID())).toEqual({ source: 'TENANT', plan: { id: tenantDefault, name: 'Tenant default' } });
    });

    it('prices the issue examples through the bound plan: 22.80 and 13.14', async () => {
      const price = async (startedAt: string, stoppedAt: string, energyWh: string) =>
        (await h.gql(PRICE, admin, { input: { chargerId: boundCharger, startedAt, stoppedAt, energyWh } })).body;
      const a = await price('2026-03-01T23:00:00Z', '2026-03-02T01:00:00Z', '20000'); // 07:00–09:00 Shanghai
      expect(a.errors).toBeUndefined();
      expect(a.data.priceSession).toMatchObject({
        planId: bound,
        source: 'CHARGER',
        planVersions: [1],
        currency: 'CNY',
        total: { minor: 2280, currency: 'CNY', formatted: '22.80' },
        totalExact: '22.8',
        energy: { wh: '20000', kwh: '20.000' },
        electricityAmount: { minor: 1530, formatted: '15.30' },
        serviceAmount: { minor: 750, formatted: '7.50' },
      });
      type Item = {
        start: string;
        energy: { wh: string };
        durationSeconds: string;
        electricityAmount: { formatted: string };
        serviceAmount: { formatted: string };
      };
      expect(
        a.data.priceSession.items.map((i: Item) => [i.start, i.energy.wh, i.durationSeconds, i.electricityAmount.formatted, i.serviceAmount.formatted]),
      ).toEqual([
        ['00:00', '10000', '3600', '6.80', '3.50'],
        ['08:00', '10000', '3600', '8.50', '4.00'],
      ]);
      const b = await price('2026-03-02T15:00:00Z', '2026-03-02T17:00:00Z', '12000'); // 23:00–01:00 Shanghai
      expect(b.data.priceSession.total.formatted).toBe('13.14');
    });

    it("prices a draft's segments instead of the bound plan's versions (an editor's preview), refusing an invalid draft", async () => {
      const input = { chargerId: boundCharger, startedAt: '2026-03-01T23:00:00Z', stoppedAt: '2026-03-02T01:00:00Z', energyWh: '20000' };
      const r = await h.gql(PRICE, admin, {
        input: { ...input, draftSegments: [seg('00:00', '08:00', '1.0000', '0.5000'), seg('08:00', '24:00', '2.0000', '0.0000')] },
      });
      expect(r.body.errors).toBeUndefined();
      // 10 kWh at 1.50 + 10 kWh at 2.00, priced as version 0 of the plan the charger resolves to
      expect(r.body.data.priceSession).toMatchObject({ planId: bound, source: 'CHARGER', planVersions: [0], total: { minor: 3500, formatted: '35.00' } });
      const bad = await h.gql(PRICE, admin, { input: { ...input, draftSegments: [seg('00:00', '08:00')] } });
      expect(bad.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(bad.body.errors[0].message).toContain('SEGMENTS_INCOMPLETE draftSegments');
      // without a draft the saved plan still prices it (the draft changed nothing)
      expect((await h.gql(PRICE, admin, { input })).body.data.priceSession.total.formatted).toBe('22.80');
    });

    it('prices with meter samples, and the station default for an unbound charger', async () => {
      const r = await h.gql(PRICE, admin, {
        input: {
          chargerId: unboundCharger,
          stationId: station,
          startedAt: '2026-03-02T00:00:00Z',
          stoppedAt: '2026-03-02T01:00:00Z',
          meterSamples: [
            { at: '2026-03-02T00:00:00Z', meterWh: '100' },
            { at: '2026-03-02T01:00:00Z', meterWh: '1100.5' },
          ],
        },
      });
      expect(r.body.data.priceSession).toMatchObject({
        source: 'STATION',
        planId: stationDefault,
        energy: { wh: '1000.5', kwh: '1.0005' },
        total: { minor: 300, formatted: '3.00' },
        totalExact: '3.0015',
      });
    });

    it('unbinding falls back to the station default at once (same instance)', async () => {
      const u = await h.gql('mutation($c: ID!) { unbindChargerTariff(chargerId: $c) { binding { chargerId } userErrors { code } } }', admin, {
        c: boundCharger,
      });
      expect(u.body.data.unbindChargerTariff.binding.chargerId).toBe(boundCharger);
      const r = await h.gql(EFFECTIVE, admin, { c: boundCharger, s: station });
      expect(r.body.data.effectiveTariff.source).toBe('STATION');
      await h.gql(BIND, admin, { input: h.registered({ chargerId: boundCharger, stationId: station, protocol: 'OCPP16', planId: bound }) });
    });

    it("a charger cannot be bound to another station's plan, and a bound plan cannot be retired", async () => {
      const other = await h.gql(BIND, admin, { input: h.registered({ chargerId: randomUUID(), stationId: randomUUID(), protocol: 'OCPP16', planId: bound }) });
      expect(other.body.data.bindChargerTariff.userErrors[0].code).toBe('STATION_MISMATCH');
      const retire = await h.gql('mutation($id: ID!) { retireTariffPlan(planId: $id) { userErrors { code message } } }', admin, { id: bound });
      expect(retire.body.data.retireTariffPlan.userErrors[0].code).toBe('PLAN_BOUND');
    });

    it('a new tenant default replaces the old one as default', async () => {
      const next = await createOk(aTariff({ name: 'Tenant default 2', isDefault: true }));
      const r = await h.gql(EFFECTIVE, admin, { c: elsewhere, s: null });
      expect(r.body.data.effectiveTariff.plan.id).toBe(next);
      const old = await h.gql('query($id: ID!) { tariffPlan(id: $id) { isDefault } }', admin, { id: tenantDefault });
      expect(old.body.data.tariffPlan.isDefault).toBe(false);
    });

    it('no plan at all is a NOT_FOUND error naming the charger', async () => {
      const lonely = await h.token(randomUUID());
      const r = await h.gql(PRICE, lonely, {
        input: { chargerId: elsewhere, startedAt: '2026-03-02T00:00:00Z', stoppedAt: '2026-03-02T01:00:00Z', energyWh: '1' },
      });
      expect(r.body.errors[0].extensions.code).toBe('NOT_FOUND');
      expect(r.body.errors[0].message).toContain(elsewhere);
    });
  });

  describe('versions', () => {
    it('editing makes a new version; old versions stay readable; sessions across the change use both', async () => {
      const id = await createOk(aTariff({ stationId: station1, name: 'Versioned' }));
      const from = new Date(Math.ceil((Date.now() + 3_600_000) / 900_000) * 900_000); // a quarter-hour, about an hour from now
      const rev = await h.gql(REVISE, admin, {
        input: { planId: id, segments: [seg('00:00', '24:00', '2.0000', '0.0000')], effectiveFrom: from.toISOString() },
      });
      expect(rev.body.data.reviseTariffPlan.userErrors).toEqual([]);
      expect(rev.body.data.reviseTariffPlan.version).toEqual({ version: 2, effectiveFrom: from.toISOString() });

      const plan = await h.gql(
        `query($id: ID!) { tariffPlan(id: $id) { versions { version segments { start } } now: versionAt { version } later: versionAt(at: "${new Date(from.getTime() + 1000).toISOString()}") { version } } }`,
        admin,
        { id },
      );
      expect(plan.body.data.tariffPlan).toEqual({
        versions: [
          { version: 1, segments: [{ start: '00:00' }, { start: '08:00' }, { start: '18:00' }] },
          { version: 2, segments: [{ start: '00:00' }] },
        ],
        now: { version: 1 },
        later: { version: 2 },
      });

      const charger = randomUUID();
      await h.gql(BIND, admin, { input: h.registered({ chargerId: charger, stationId: station1, protocol: 'OCPP16', planId: id }) });
      const r = await h.gql(PRICE, admin, {
        input: {
          chargerId: charger,
          startedAt: new Date(from.getTime() - 1_800_000).toISOString(),
          stoppedAt: new Date(from.getTime() + 1_800_000).toISOString(),
          energyWh: '10000',
        },
      });
      expect(r.body.data.priceSession.planVersions).toEqual([1, 2]);
      expect(r.body.data.priceSession.items.map((i: { planVersion: number; energy: { wh: string } }) => [i.planVersion, i.energy.wh])).toEqual(
        expect.arrayContaining([[2, '5000']]),
      );
    });

    it('refuses an effectiveFrom in the past, or before the latest version', async () => {
      const id = await createOk(aTariff({ stationId: station1, name: 'History' }));
      const past = await h.gql(REVISE, admin, { input: { planId: id, segments: [seg('00:00', '24:00')], effectiveFrom: '2020-01-01T00:00:00Z' } });
      expect(past.body.data.reviseTariffPlan.userErrors[0]).toMatchObject({ code: 'INVALID_EFFECTIVE_FROM', field: 'effectiveFrom' });
      const far = new Date(Date.now() + 86_400_000).toISOString();
      await h.gql(REVISE, admin, { input: { planId: id, segments: [seg('00:00', '24:00')], effectiveFrom: far } });
      const before = await h.gql(REVISE, admin, { input: { planId: id, segments: [seg('00:00', '24:00')] } });
      expect(before.body.data.reviseTariffPlan.userErrors[0].message).toMatch(/before version 2 takes effect/);
    });
  });

  describe('YKC chargers', () => {
    it('refuses to bind a plan a YKC charger cannot hold, with the reason; binds it to an OCPP charger', async () => {
      const id = await createOk(aTariff({ stationId: station1, name: 'Five prices', segments: FIVE_PRICES }));
      const input = { chargerId: randomUUID(), stationId: station1, planId: id };
      const ykc = await h.gql(BIND, admin, { input: h.registered({ ...input, protocol: 'YKC' }) });
      expect(ykc.body.data.bindChargerTariff.binding).toBeNull();
      expect(ykc.body.data.bindChargerTariff.userErrors).toEqual([
        {
          code: 'YKC_UNREPRESENTABLE',
          field: 'planId',
          message:
            'plan "Five prices" (version 1) cannot be represented on a YKC charger: the plan has 5 different price pairs (energy price + service fee); YKC chargers hold at most 4 tiers',
        },
      ]);
      const ocpp = await h.gql(BIND, admin, { input: h.registered({ ...input, protocol: 'OCPP16' }) });
      expect(ocpp.body.data.bindChargerTariff.binding.protocol).toBe('OCPP16');
    });

    it('binds a representable plan, shows its billing model, and refuses a revision that would break it', async () => {
      const id = await createOk(aTariff({ stationId: station1, name: 'YKC friendly' }));
      const ykc = await h.gql(BIND, admin, { input: h.registered({ chargerId: randomUUID(), stationId: station1, planId: id, protocol: 'YKC' }) });
      expect(ykc.body.data.bindChargerTariff.userErrors).toEqual([]);
      const model = await h.gql(
        'query($id: ID!) { tariffPlan(id: $id) { versionAt { version ykcBillingModel { representable modelNo tiers { name energyPrice energyRate serviceRate used } slots } } } }',
        admin,
        { id },
      );
      const m = model.body.data.tariffPlan.versionAt.ykcBillingModel;
      expect(m.representable).toBe(true);
      expect(m.slots).toHaveLength(48);
      expect(m.tiers[0]).toEqual({ name: 'SHARP', energyPrice: '0.8500', energyRate: 85_000, serviceRate: 40_000, used: true });
      // numbered by its content: the same prices as the example plan's, wherever they are
      const example = toYkcBillingModel(segmentsFromRecords(EXAMPLE_SEGMENTS), 'CNY');
      expect(m.modelNo).toBe(example.ok ? ykcModelNumber(example.model) : 'unrepresentable');
      const rev = await h.gql(REVISE, admin, { input: { planId: id, segments: [seg('00:00', '08:15', '1'), seg('08:15', '24:00', '2')] } });
      expect(rev.body.data.reviseTariffPlan.userErrors[0].code).toBe('YKC_UNREPRESENTABLE');
      expect(rev.body.data.reviseTariffPlan.userErrors[0].message).toContain('half-hour slot 08:00–08:30');
    });

    it('checks a draft before it is published: the same model a version gets, or the same reasons revising would refuse it with', async () => {
      const Q = 'query($s: [TariffSegmentInput!]!, $c: String) { ykcBillingModelOfDraft(segments: $s, currency: $c) { representable reasons modelNo slots } }';
      const ok = await h.gql(Q, admin, {
        s: EXAMPLE_SEGMENTS.map((x) => ({ start: x.start, end: x.end, energyPrice: x.energyPrice, serviceFee: x.serviceFee })),
      });
      const example = toYkcBillingModel(segmentsFromRecords(EXAMPLE_SEGMENTS), 'CNY');
      expect(ok.body.data.ykcBillingModelOfDraft).toMatchObject({
        representable: true,
        reasons: [],
        modelNo: example.ok ? ykcModelNumber(example.model) : 'x',
      });
      expect(ok.body.data.ykcBillingModelOfDraft.slots).toHaveLength(48);

      const broken = [seg('00:00', '08:15', '1'), seg('08:15', '24:00', '2')];
      const no = (await h.gql(Q, admin, { s: broken })).body.data.ykcBillingModelOfDraft;
      expect(no).toMatchObject({ representable: false, modelNo: '0000', slots: [] });
      expect(no.reasons[0]).toContain('half-hour slot 08:00–08:30');
      const usd = (await h.gql(Q, admin, { s: [seg('00:00', '24:00', '1')], c: 'USD' })).body.data.ykcBillingModelOfDraft;
      expect(usd.reasons).toEqual([expect.stringContaining('YKC chargers bill in CNY')]);

      // not a day: an error naming the problem, not a model
      const gap = await h.gql(Q, admin, { s: [seg('00:00', '08:00', '1')] });
      expect(gap.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(gap.body.errors[0].message).toMatch(/segments/);
      const badCurrency = await h.gql(Q, admin, { s: [seg('00:00', '24:00', '1')], c: 'XXX1' });
      expect(badCurrency.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      // tariff:read, like reading plans
      const noRead = await h.token(tenantA, { permissions: [] });
      expect((await h.gql(Q, noRead, { s: broken })).body.errors[0].extensions.code).toBe('FORBIDDEN');
    });
  });

  describe("a binding takes the charger's station and protocol from assets", () => {
    it('binds with what assets says; a client naming another station or protocol, or an unknown charger, is refused', async () => {
      const id = await createOk(aTariff({ stationId: station1, name: 'Station one only' }));
      const pile = randomUUID();
      h.chargers.register(pile, { stationId: station1, protocol: 'YKC' }, tenantA);
      const bound = await h.gql(BIND, admin, { input: { chargerId: pile, planId: id } });
      expect(bound.body.data.bindChargerTariff.binding).toMatchObject({ chargerId: pile, stationId: station1, protocol: 'YKC' });
      // An OCPP claim for a YKC pile could slip it a plan its billing model cannot hold; another station, another station's plan.
      const lie = await h.gql(BIND, admin, { input: { chargerId: pile, planId: id, protocol: 'OCPP16' } });
      expect(lie.body.data.bindChargerTariff.userErrors).toEqual([expect.objectContaining({ code: 'PROTOCOL_MISMATCH', field: 'protocol' })]);
      const elsewhere = randomUUID();
      h.chargers.register(elsewhere, { stationId: randomUUID(), protocol: 'OCPP16' }, tenantA);
      const moved = await h.gql(BIND, admin, { input: { chargerId: elsewhere, planId: id, stationId: station1 } });
      expect(moved.body.data.bindChargerTariff.userErrors).toEqual([expect.objectContaining({ code: 'STATION_MISMATCH', field: 'stationId' })]);
      const unknown = await h.gql(BIND, admin, { input: { chargerId: randomUUID(), planId: id } });
      expect(unknown.body.data.bindChargerTariff.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'chargerId' })]);
      // Another tenant's charger is not found either (assets answers per tenant).
      const theirs = randomUUID();
      h.chargers.register(theirs, { stationId: station1, protocol: 'OCPP16' }, tenantB);
      expect((await h.gql(BIND, admin, { input: { chargerId: theirs, planId: id } })).body.data.bindChargerTariff.userErrors).toEqual([
        expect.objectContaining({ code: 'NOT_FOUND' }),
      ]);
    });
  });

  describe('tenancy and permissions', () => {
    it("another tenant sees none of A's plans, cannot bind to them, and prices nothing with them", async () => {
      const aPlan = await createOk(aTariff({ name: 'A only', isDefault: true }));
      const b = await h.token(tenantB);
      const list = await h.gql('{ tariffPlans(includeRetired: true) { id } }', b);
      expect(list.body.data.tariffPlans).toEqual([]);
      expect((await h.gql('query($id: ID!) { tariffPlan(id: $id) { id } }', b, { id: aPlan })).body.data.tariffPlan).toBeNull();
      const bind = await h.gql(BIND, b, { input: h.registered({ chargerId: randomUUID(), stationId: station1, protocol: 'OCPP16', planId: aPlan }) });
      expect(bind.body.data.bindChargerTariff.userErrors[0].code).toBe('NOT_FOUND');
      const price = await h.gql(PRICE, b, {
        input: { chargerId: randomUUID(), startedAt: '2026-03-02T00:00:00Z', stoppedAt: '2026-03-02T01:00:00Z', energyWh: '1' },
      });
      expect(price.body.errors[0].extensions.code).toBe('NOT_FOUND');
      const retire = await h.gql('mutation($id: ID!) { retireTariffPlan(planId: $id) { userErrors { code } } }', b, { id: aPlan });
      expect(retire.body.data.retireTariffPlan.userErrors[0].code).toBe('NOT_FOUND');
    });

    it('tariffPlansConnection pages the same plans as tariffPlans, in the same order, both ways', async () => {
      await createOk(aTariff({ name: 'Paged 1' }));
      await createOk(aTariff({ name: 'Paged 2', stationId: station1 }));
      const admin = await h.token(tenantA);
      const all = (await h.gql('{ tariffPlans(first: 500, includeRetired: true) { id } }', admin)).body.data.tariffPlans.map((p: { id: string }) => p.id);
      expect(all.length).toBeGreaterThanOrEqual(2);
      const walk = async (dir: 'first' | 'last') => {
        const out: string[] = [];
        let cursor: string | null = null;
        for (;;) {
          const arg = dir === 'first' ? 'after' : 'before';
          const r: { body: any } = await h.gql(
            `query($c: String) { tariffPlansConnection(${dir}: 1, ${arg}: $c, includeRetired: true) { edges { node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
            admin,
            { c: cursor },
          );
          const c = r.body.data.tariffPlansConnection;
          const ids = c.edges.map((e: { node: { id: string } }) => e.node.id);
          if (dir === 'first') out.push(...ids);
          else out.unshift(...ids);
          if (!(dir === 'first' ? c.pageInfo.hasNextPage : c.pageInfo.hasPreviousPage)) return out;
          cursor = dir === 'first' ? c.pageInfo.endCursor : c.pageInfo.startCursor;
        }
      };
      expect(await walk('first')).toEqual(all);
      expect(await walk('last')).toEqual(all);
      const bad = await h.gql('{ tariffPlansConnection(first: 501) { edges { cursor } } }', admin);
      expect(bad.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    });

    it('reads need tariff:read, writes tariff:write; no tenant is TENANT_CONTEXT_MISSING', async () => {
      const noRead = await h.token(tenantA, { permissions: [] });
      expect((await h.gql('{ tariffPlans { id } }', noRead)).body.errors[0].extensions.code).toBe('FORBIDDEN');
      const readOnly = await h.token(tenantA, { permissions: ['tariff:read'] });
      expect((await h.gql(CREATE, readOnly, { input: aTariff() })).body.errors[0].extensions.code).toBe('FORBIDDEN');
      expect((await h.gql('{ tariffPlans { id } }', await h.token(null))).body.errors[0].extensions.code).toBe('TENANT_CONTEXT_MISSING');
    });

    it("a station manager sees and edits only its stations' plans (and reads tenant-level ones)", async () => {
      const mine = randomUUID();
      const own = await createOk(aTariff({ stationId: mine, name: 'Mine' }));
      const mgr = await h.token(tenantA, { dataScope: 'ASSIGNED_STATIONS', stationIds: [mine] });
      const list = await h.gql('{ tariffPlans(first: 500) { id stationId } }', mgr);
      const stations = new Set(list.body.data.tariffPlans.map((p: { stationId: string | null }) => p.stationId));
      expect([...stations].every((s) => s === null || s === mine)).toBe(true);
      expect(list.body.data.tariffPlans.map((p: { id: string }) => p.id)).toContain(own);
      const elsewhere = await create(aTariff({ stationId: station1, name: 'Not mine' }), mgr);
      expect(elsewhere.data.createTariffPlan.userErrors[0].code).toBe('OUT_OF_SCOPE');
      const tenantLevel = await create(aTariff({ name: 'Tenant level' }), mgr);
      expect(tenantLevel.data.createTariffPlan.userErrors[0].code).toBe('OUT_OF_SCOPE');
    });
  });
});
