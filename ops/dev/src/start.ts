import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@evcs/testkit';
import { DEMO_YKC_PILE, demoOperator, demoPasswords, demoPlatform, demoSimulators } from './demo';
import { RunningPrometheus, startPrometheus } from './prometheus';
import { ConsoleServer, startConsoleServer } from './console-server';
import { Stack, startStack } from './stack';
import { runSimulators } from '@evcs/protocol-bridge/dist/src/simulator';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';

/** `npm start -- --observability`: a real Prometheus too, scraping every service (port PROMETHEUS_PORT, default 9090). */
const OBSERVABILITY = process.argv.includes('--observability');
/** The query the start banner's curl example sends (a registered operation: docs/schema-checks.md). */
const TRY_QUERY = /* GraphQL */ `query TryStations { stations(first: 20) { edges { node { name stats { onlineRate connectorsByStatus { status count } } chargers { code online connectors { connectorNo status } } } } pageInfo { hasNextPage endCursor } } }`;

/**
 * `npm start`: the whole platform locally — Kafka, migrations, five subgraphs,
 * router, bridge — with demo data and simulated chargers producing live status.
 * Ctrl-C stops every process it started (the Kafka broker keeps running; stop
 * it with `npm run kafka:stop`).
 */
async function main(): Promise<void> {
  // Declared before the stack starts: a service can die during start-up too.
  let stopping = false;
  let sims: { stop(): Promise<void> } | undefined;
  let stack: Stack | undefined;
  let prometheus: RunningPrometheus | undefined;
  let consoleServer: ConsoleServer | undefined;
  async function shutdown(code: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    await sims?.stop().catch(() => undefined);
    await prometheus?.stop().catch(() => undefined);
    await consoleServer?.stop().catch(() => undefined);
    await stack?.stop();
    process.exit(code);
  }
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  stack = await startStack({
    database: process.env.EVCS_DATABASE ?? 'evcs',
    ports: 'default',
    // a local platform for developing against: its schema may be explored (ROUTER_INTROSPECTION overrides)
    env: { ROUTER_INTROSPECTION: process.env.ROUTER_INTROSPECTION ?? 'true' },
    onUnexpectedExit: (name, code) => {
      console.error(`${name} exited unexpectedly (code ${code}); stopping the platform`);
      void shutdown(1);
    },
  });
  if (stopping) return;

  const passwords = demoPasswords(path.join(REPO_ROOT, '.cache'));
  const platform = demoPlatform(passwords);
  const DEMO_TENANT = demoOperator(passwords);
  await stack.seedTenant(platform);
  await stack.seedTenant(DEMO_TENANT);
  const chargerIds = DEMO_TENANT.stations.flatMap((s) => s.chargers.map((c) => c.code));
  // the demo chargers are DEMO-CP-0001…: the simulator names them the same way
  const ocppIds = chargerIds.filter((id) => id !== DEMO_YKC_PILE);
  // A real sign-in, through the router and the tenants subgraph.
  const { accessToken } = await stack.login(DEMO_TENANT.code, 'admin', passwords.operatorAdmin);
  // The simulated chargers connect as real ones must: with the password the API hands out (rotated on every start,
  // since a password is only shown once) and the YKC pile with its login identity registered.
  const fleet = await registerFleet({
    routerUrl: stack.routerUrls[0],
    token: accessToken,
    stationCode: DEMO_TENANT.stations[0].code,
    ocpp: ocppIds,
    ykc: [{ pileNo: DEMO_YKC_PILE, guns: 2 }],
    connectors: 2,
  });
  for (const r of fleet.refused) console.error(`could not register demo charger ${r.code}: ${r.reason}`);
  if (OBSERVABILITY) {
    prometheus = await startPrometheus({
      dir: path.join(REPO_ROOT, '.cache/prometheus'),
      port: Number(process.env.PROMETHEUS_PORT ?? 9090),
      targets: stack.metricsTargets,
    });
  }
  // the operator console on its own port, /graphql proxied to the router (same origin: the router has no CORS)
  consoleServer = await startConsoleServer({ routerUrl: stack.routerUrls[0], port: Number(process.env.CONSOLE_PORT ?? 4300) });
  sims = await runSimulators({ ...demoSimulators(stack, DEMO_TENANT), password: (id) => fleet.passwords.get(id) });
  // Credentials go to files only readable by this user, not to the console (terminals get logged and shared).
  const credentialsFile = path.join(REPO_ROOT, '.cache', 'demo-credentials.json');
  const tokenFile = path.join(REPO_ROOT, '.cache', 'demo-token');
  writeFileSync(tokenFile, accessToken, { mode: 0o600 });

  console.log(`
EVCS platform is running.

  Router (GraphQL + graphql-ws): ${stack.routerUrls[0]}
  Operator console:              ${consoleServer.url}  (sign in as below; zh-CN, English)
  OCPP 1.6-J bridge:             ${stack.bridgeUrl}/<chargePointId>
  YKC bridge (TCP):              ${stack.ykcAddress.host}:${stack.ykcAddress.port}
  Demo tenant:                   ${DEMO_TENANT.name} (${DEMO_TENANT.id})
  Simulated chargers:            ${chargerIds.join(', ')}
  Alipay sandbox:                ${stack.paySandboxes.alipayUrl}  (POST /sandbox/trades/<out_trade_no>/pay|fail|close)
  WeChat Pay sandbox:            ${stack.paySandboxes.wechatPayUrl}  (same control API)
  Metrics (internal ports):      http://127.0.0.1:9400/metrics (router; every service on its PORT + 5400)
${prometheus ? `  Prometheus (alerts loaded):    ${prometheus.url}  (dashboards to import: ops/grafana/)\n` : ''}
Sign in (console or login mutation) as the operator admin (tenantCode ${DEMO_TENANT.code}, username admin),
its station manager (username station: the demo station only) or viewer (username viewer: read-only),
or the platform admin (tenantCode ${platform.code}, username root). Passwords are generated per machine
and kept, never printed, in ${credentialsFile} (keys operatorAdmin, stationManager, viewer, platformAdmin).

Access token of the operator admin (15 min; refresh with the refreshToken mutation), in a file too:
  TOKEN=$(cat ${tokenFile})

Try:
  curl -s ${stack.routerUrls[0]} -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
    -d '${JSON.stringify({ query: TRY_QUERY })}'

Ctrl-C stops everything.`);
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
