import type { ServiceGraphQLClient } from '@evcs/platform';
import type { ChargerFacts, ChargerLookup } from '../domain/ports';

/** Issuer assets and the other subgraphs accept from the tariffs service (see INTERNAL_ISSUERS). */
export const TARIFFS_TOKEN_ISSUER = 'evcs-tariffs';

/** Chargers as the assets service knows them, asked as a service acting for the tenant (RLS applies there). */
export class AssetsChargerLookup implements ChargerLookup {
  constructor(private readonly client: ServiceGraphQLClient) {}

  async charger(tenantId: string, chargerId: string): Promise<ChargerFacts | null> {
    const d = await this.client.request<{ charger: { protocol: 'OCPP16' | 'YKC'; station: { id: string } | null } | null }>(
      'query($id: ID!) { charger(id: $id) { protocol station { id } } }',
      { id: chargerId },
      { tenantId },
    );
    return d.charger?.station ? { stationId: d.charger.station.id, protocol: d.charger.protocol } : null;
  }
}
