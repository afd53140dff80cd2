import { ChargerCommand, newChargerCommand, type ChargerEvent, type CommandSpec } from '@evcs/events';
import { ChargerSession } from '../../src/connections/charger-session';
import type { OcppCallContext } from '../../src/ocpp/handlers';
import { ocpp16Validator } from '../../src/ocpp/validator';
import type { ChargerEventPublisher } from '../../src/ports';
import { aChargerContext, aStamp } from '../builders';

/**
 * Golden OCPP-J frames: the exact text a charger sends or receives, `[2, id, action, payload]`
 * for a CALL and `[3, id, payload]` for its CALLRESULT, checked against the official OCPP 1.6
 * schemas (ocpp-rpc's strict mode, as the bridge runs it).
 */
export function parseCall(text: string): { id: string; action: string; payload: Record<string, unknown> } {
  const frame = JSON.parse(text) as unknown[];
  expect(frame[0]).toBe(2);
  return { id: frame[1] as string, action: frame[2] as string, payload: frame[3] as Record<string, unknown> };
}

export function parseResult(text: string): Record<string, unknown> {
  const frame = JSON.parse(text) as unknown[];
  expect(frame[0]).toBe(3);
  return frame[2] as Record<string, unknown>;
}

/** The payload passes the action's schema (`req` or `conf`), or the reason it doesn't. */
export function schemaCheck(action: string, kind: 'req' | 'conf', payload: unknown): string | null {
  try {
    void ocpp16Validator.validate(`urn:${action}.${kind}`, payload);
    return null;
  } catch (e) {
    return (e as { rpcErrorCode?: string }).rpcErrorCode ?? String(e);
  }
}

/** A platform command as the bridge gets it from the command topic (validated by its contract). */
export function aCommand(spec: CommandSpec): ChargerCommand {
  const c = newChargerCommand({
    id: '7a0e8b50-8d3b-4a52-9d0e-3f6f2b1c9a11',
    tenantId: '0b7f4a44-3c55-4b8f-9f0b-9e5d1f2a3b4c',
    chargerId: 'CP-0001',
    command: spec,
    issuedAt: new Date('2026-12-03T09:00:00Z'),
  });
  return ChargerCommand.parse(c);
}

/** A charger's session whose events are kept in `events` (the publisher port, no bus). */
export function aRecordingSession(): { session: ChargerSession; events: ChargerEvent[] } {
  const events: ChargerEvent[] = [];
  const publisher: ChargerEventPublisher = {
    publish: (e) => {
      events.push(e);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  return { session: new ChargerSession(aChargerContext(), publisher, () => aStamp()), events };
}

/** What a handler needs of its call context for a notification (the session; the rest unused). */
export function aNoticeContext(session: ChargerSession): OcppCallContext {
  return { session } as unknown as OcppCallContext;
}
