import type { ServiceGraphQLClient } from '@evcs/platform';
import type { ChargerDirectory, ChargerInfo } from '../domain/ports';

const FIELDS = 'id code protocol station { id timezone } connectors { connectorNo }';

interface ChargerAnswer {
  id: string;
  code: string;
  protocol: 'OCPP16' | 'YKC';
  station: { id: string; timezone: string | null } | null;
  connectors: { connectorNo: number }[];
}

const toInfo = (c: ChargerAnswer | null): ChargerInfo | null =>
  c && c.station
    ? {
        chargerId: c.id,
        code: c.code,
        stationId: c.station.id,
        timezone: c.station.timezone ?? null,
        protocol: c.protocol,
        connectorNos: c.connectors.map((x) => x.connectorNo),
      }
    : null;

/** Chargers as the assets service knows them, read as a service acting for the tenant (RLS applies there). */
export class AssetsChargerDirectory implements ChargerDirectory {
  constructor(private readonly client: ServiceGraphQLClient) {}

  async byId(tenantId: string, chargerId: string): Promise<ChargerInfo | null> {
    const d = await this.client.request<{ charger: ChargerAnswer | null }>(
      `query($id: ID!) { charger(id: $id) { ${FIELDS} } }`,
      { id: chargerId },
      { tenantId },
    );
    return toInfo(d.charger);
  }

  async byCode(tenantId: string, code: string): Promise<ChargerInfo | null> {
    const d = await this.client.request<{ chargerByCode: ChargerAnswer | null }>(
      `query($c: String!) { chargerByCode(code: $c) { ${FIELDS} } }`,
      { c: code },
      { tenantId },
    );
    return toInfo(d.chargerByCode);
  }
}
