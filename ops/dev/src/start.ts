import { DEMO_TENANT } from './demo';
import { startStack } from './stack';
import { runSimulators } from '@evcs/protocol-bridge/dist/src/simulator';

/**
 * `npm start`: the whole platform locally — Kafka, migrations, five subgraphs,
 * router, bridge — with demo data and simulated chargers producing live status.
 * Ctrl-C stops every process it started (the Kafka broker keeps running; stop
 * it with `npm run kafka:stop`).
 */
async function main(): Promise<void> {
  const stack = await startStack({
    database: process.env.EVCS_DATABASE ?? 'evcs',
    ports: 'default',
    onUnexpectedExit: (name, code) => {
      console.error(`${name} exited unexpectedly (code ${code}); stopping the platform`);
      void shutdown(1);
    },
  });
  let stopping = false;
  let sims: { stop(): Promise<void> } | undefined;
  async function shutdown(code: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    await sims?.stop().catch(() => undefined);
    await stack.stop();
    process.exit(code);
  }
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  await stack.seedTenant(DEMO_TENANT);
  const chargerIds = DEMO_TENANT.stations.flatMap((s) => s.chargers.map((c) => c.code));
  // the demo chargers are DEMO-CP-0001…: the simulator names them the same way
  sims = await runSimulators({ url: stack.bridgeUrl, count: chargerIds.length, prefix: 'DEMO-CP-', connectors: 2, intervalMs: 5000 });
  const token = await stack.tokenFor(DEMO_TENANT.id, 'demo-admin');

  console.log(`
EVCS platform is running.

  Router (GraphQL + graphql-ws): ${stack.routerUrls[0]}
  OCPP 1.6-J bridge:             ${stack.bridgeUrl}/<chargePointId>
  Demo tenant:                   ${DEMO_TENANT.name} (${DEMO_TENANT.id})
  Simulated chargers:            ${chargerIds.join(', ')}

Demo access token (12 h):
  ${token}

Try:
  curl -s ${stack.routerUrls[0]} -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
    -d '{"query":"{ stations { name chargers { code online connectors { connectorNo status } } } }"}'

Ctrl-C stops everything.`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
