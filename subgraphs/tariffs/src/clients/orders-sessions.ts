import { money, type ServiceGraphQLClient } from '@evcs/platform';
import type { CompletedSessions, CompletedSessionsPage } from '../domain/ports';

const PAGE = `query($s: ID!, $from: DateTimeISO!, $to: DateTimeISO!, $first: Int!, $after: String) {
  completedSessionsForPricing(stationId: $s, from: $from, to: $to, first: $first, after: $after) {
    hasNextPage endCursor
    sessions { orderId chargerId startedAt stoppedAt energyWh readings { at registerWh } billed { minor currency } }
  }
}`;

interface Answer {
  completedSessionsForPricing: {
    hasNextPage: boolean;
    endCursor: string | null;
    sessions: {
      orderId: string;
      chargerId: string | null;
      startedAt: string;
      stoppedAt: string;
      energyWh: string;
      readings: { at: string; registerWh: string }[];
      billed: { minor: number; currency: string };
    }[];
  };
}

/**
 * A station's completed sessions, from the orders subgraph itself (the query is @inaccessible
 * through the router), asked as the tariffs service acting for the tenant: orders answers that
 * tenant's rows only, and only to a token carrying `completed-sessions:read`.
 */
export class OrdersCompletedSessions implements CompletedSessions {
  constructor(private readonly client: ServiceGraphQLClient) {}

  async page(
    tenantId: string,
    stationId: string,
    window: { from: Date; to: Date },
    page: { first: number; after: string | null },
  ): Promise<CompletedSessionsPage> {
    const d = await this.client.request<Answer>(
      PAGE,
      { s: stationId, from: window.from.toISOString(), to: window.to.toISOString(), first: page.first, after: page.after },
      { tenantId },
    );
    const p = d.completedSessionsForPricing;
    return {
      hasNextPage: p.hasNextPage,
      endCursor: p.endCursor,
      sessions: p.sessions.map((s) => ({
        orderId: s.orderId,
        chargerId: s.chargerId,
        startedAt: new Date(s.startedAt),
        stoppedAt: new Date(s.stoppedAt),
        energyWh: s.energyWh,
        readings: s.readings.map((r) => ({ at: new Date(r.at), registerWh: r.registerWh })),
        // validated again: only safe integers of a known currency are summed
        billed: money(s.billed.minor, s.billed.currency),
      })),
    };
  }
}
