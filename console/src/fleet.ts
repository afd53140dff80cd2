import type { ConnectorStatusChangedSubscription, DashboardChargersQuery } from './gql/graphql';

type ChargerNode = DashboardChargersQuery['chargers']['edges'][number]['node'];
type StatusChange = ConnectorStatusChangedSubscription['connectorStatusChanged'];

interface ChargerState {
  online: boolean;
  connectors: Map<number, string>;
}

export interface FleetCounts {
  total: number;
  online: number;
  charging: number;
  faulted: number;
}

/**
 * The dashboard's picture of the fleet: a snapshot of every charger, kept current by connector
 * status changes. A charger counts as charging (faulted) when any of its connectors is.
 * 'Offline' is what a connector reads while its charger is disconnected.
 */
export class Fleet {
  private readonly chargers = new Map<string, ChargerState>();

  load(nodes: ChargerNode[]): void {
    this.chargers.clear();
    for (const n of nodes) this.chargers.set(n.code, { online: n.online, connectors: new Map(n.connectors.map((c) => [c.connectorNo, c.status])) });
  }

  apply(change: StatusChange): void {
    const charger = this.chargers.get(change.chargerCode) ?? { online: false, connectors: new Map<number, string>() };
    charger.connectors.set(change.connectorNo, change.status);
    charger.online = change.status !== 'Offline' || [...charger.connectors.values()].some((s) => s !== 'Offline');
    this.chargers.set(change.chargerCode, charger);
  }

  counts(): FleetCounts {
    const all = [...this.chargers.values()];
    const any = (c: ChargerState, status: string) => [...c.connectors.values()].includes(status);
    return {
      total: all.length,
      online: all.filter((c) => c.online).length,
      charging: all.filter((c) => any(c, 'Charging')).length,
      faulted: all.filter((c) => any(c, 'Faulted')).length,
    };
  }
}
