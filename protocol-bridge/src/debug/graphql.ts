import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { ChargerEvent } from '@evcs/events';
import { AppError, defineCodes, readJsonBody, sendJson } from '@evcs/platform';
import { buildSchema, graphql } from 'graphql';
import type { Diagnostics } from '../connections/diagnostics';
import type { ConnectionRegistry } from '../connections/registry';
import type { ChargerEventPublisher } from '../ports';

/** userError codes of the operator debug GraphQL (POST /debug/graphql). */
export const DebugErrorCodes = defineCodes({
  BAD_JSON: '`injectEvent`: `data` is not JSON.',
  INVALID_EVENT: '`injectEvent`: the event does not match the charger-event contract; the field names the problem.',
  UNAVAILABLE: '`injectEvent`: Kafka did not accept the event now; retry.',
  PUBLISH_FAILED: '`injectEvent`: the event could not be published.',
});

/**
 * Operator debugging, per bridge instance: recent raw frames of a charger,
 * protocol error counts, connected chargers, and injecting a simulated event.
 * Plain GraphQL over HTTP on the bridge (POST /debug/graphql), not part of the
 * federated supergraph: frames are per instance and the endpoint answers for
 * the instance it runs on. Guarded by a shared operator token.
 */
export const DEBUG_SDL = /* GraphQL */ `
  type Frame {
    at: String!
    "IN (charger to bridge) or OUT"
    direction: String!
    protocol: String!
    "the bytes on the wire, hex"
    hex: String!
    "decoded message (JSON text); for YKC includes the message name and fields, or the decode error"
    decoded: String!
  }
  type ErrorCount {
    protocol: String!
    kind: String!
    count: Int!
  }
  type ConnectedCharger {
    chargerId: String!
    tenantId: String!
    protocol: String!
    lastSeenAt: String!
  }
  type UserError {
    code: String!
    field: String
    message: String!
  }
  type InjectEventPayload {
    eventId: String
    userErrors: [UserError!]!
  }
  type Query {
    "the last frames (newest last) this bridge exchanged with the charger"
    frames(chargerId: String!, last: Int = 50): [Frame!]!
    protocolErrors: [ErrorCount!]!
    connectedChargers: [ConnectedCharger!]!
  }
  type Mutation {
    "publish a simulated event (source.protocol SIMULATED) as if the charger had sent it; data is JSON"
    injectEvent(tenantId: String!, chargerId: String!, type: String!, data: String!, occurredAt: String): InjectEventPayload!
  }
`;

const schema = buildSchema(DEBUG_SDL);

export interface DebugDeps {
  token: string;
  diagnostics: Diagnostics;
  publisher: ChargerEventPublisher;
  registry: ConnectionRegistry;
  bridgeId: string;
  newId: () => string;
  now?: () => Date;
}

export function createDebugHandler(deps: DebugDeps): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const now = deps.now ?? (() => new Date());
  const expected = Buffer.from(`Bearer ${deps.token}`);
  const root = {
    frames: ({ chargerId, last }: { chargerId: string; last: number }) =>
      deps.diagnostics.frames.last(chargerId, Math.max(1, Math.min(last, 500))).map((f) => ({ ...f, decoded: JSON.stringify(f.decoded) })),
    protocolErrors: () => deps.diagnostics.metrics.snapshot(),
    connectedChargers: () =>
      deps.registry.all().map((c) => ({
        chargerId: c.session.chargerId,
        tenantId: c.session.ctx.tenantId,
        protocol: c.protocol,
        lastSeenAt: c.session.lastSeenAt.toISOString(),
      })),
    injectEvent: async (args: { tenantId: string; chargerId: string; type: string; data: string; occurredAt?: string }) => {
      let data: unknown;
      try {
        data = JSON.parse(args.data);
      } catch {
        return { eventId: null, userErrors: [{ code: DebugErrorCodes.BAD_JSON, field: 'data', message: 'data must be JSON' }] };
      }
      const at = now().toISOString();
      const candidate = {
        id: deps.newId(),
        version: 1,
        tenantId: args.tenantId,
        chargerId: args.chargerId,
        occurredAt: args.occurredAt ?? at,
        receivedAt: at,
        source: { protocol: 'SIMULATED', bridgeId: deps.bridgeId },
        type: args.type,
        data,
      };
      const parsed = ChargerEvent.safeParse(candidate);
      if (!parsed.success) {
        return {
          eventId: null,
          userErrors: parsed.error.issues.map((i) => ({ code: DebugErrorCodes.INVALID_EVENT, field: i.path.join('.'), message: i.message })),
        };
      }
      try {
        await deps.publisher.publish(parsed.data);
      } catch (e) {
        const retriable = e instanceof AppError && e.retriable;
        return {
          eventId: null,
          userErrors: [
            { code: retriable ? DebugErrorCodes.UNAVAILABLE : DebugErrorCodes.PUBLISH_FAILED, field: null, message: 'the event could not be published' },
          ],
        };
      }
      return { eventId: parsed.data.id, userErrors: [] };
    },
  };

  return (req, res) => {
    const auth = Buffer.from(req.headers.authorization ?? '');
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) return sendJson(res, 401, { errors: [{ message: 'operator token required' }] });
    if (req.method !== 'POST') return sendJson(res, 405, { errors: [{ message: 'POST a GraphQL request' }] });
    readJsonBody(req)
      .then(async (body) => {
        const { query, variables } = (body ?? {}) as { query?: unknown; variables?: Record<string, unknown> };
        if (typeof query !== 'string') return sendJson(res, 400, { errors: [{ message: 'query must be a string' }] });
        const result = await graphql({ schema, source: query, rootValue: root, variableValues: variables ?? {} });
        sendJson(res, 200, result);
      })
      .catch(() => sendJson(res, 400, { errors: [{ message: 'invalid request' }] }));
  };
}
