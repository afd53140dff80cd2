import { counter, gauge, histogram, ScrapeSources } from '@evcs/platform';
import type { Protocol } from './connections/diagnostics';

const registries = new ScrapeSources<{ count(protocol: Protocol): number }>();

gauge<'protocol'>({
  name: 'evcs_bridge_connections',
  help: 'Chargers connected to this bridge, by protocol (OCPP16, YKC)',
  labelNames: ['protocol'],
  collect() {
    this.reset();
    for (const protocol of ['OCPP16', 'YKC'] as const)
      this.set(
        { protocol },
        registries.all().reduce((n, r) => n + r.count(protocol), 0),
      );
  },
});

/** The connection gauge counts `registry`'s connections until the returned function is called. */
export function observeConnections(registry: { count(protocol: Protocol): number }): () => void {
  return registries.add(registry);
}

/** Messages chargers sent, by protocol, action (OCPP action or YKC message name) and result (ok, or the error code). */
export const messagesReceived = counter<'protocol' | 'action' | 'result'>({
  name: 'evcs_bridge_messages_total',
  help: 'Messages from chargers, by protocol, action (OCPP action, YKC message) and result (ok, or the error answered)',
  labelNames: ['protocol', 'action', 'result'],
});

/** Platform commands sent to a charger held here, until its answer (or the command's timeout). */
export const commandDuration = histogram<'protocol' | 'command' | 'status'>({
  name: 'evcs_bridge_command_duration_seconds',
  help: 'Platform commands from send to the charger’s answer, by protocol, command and status (ACCEPTED, REJECTED, FAILED)',
  labelNames: ['protocol', 'command', 'status'],
  buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10, 30, 60],
});
