/**
 * Variables no service schema holds: a pattern, the standard variables of libraries, and those
 * of the development tools. docs/configuration.md lists them after the schemas' variables, and
 * test/docs.test.ts fails on a variable read from process.env in source that is in neither.
 */
export interface OtherVariable {
  /** a name, or a pattern with `<…>` or `*` */
  name: string;
  readBy: string;
  default?: string;
  description: string;
}

export const OTHER_VARIABLES: readonly OtherVariable[] = [
  {
    name: 'SUBGRAPH_URL_<NAME>',
    readBy: 'router',
    default: 'the URLs in the supergraph',
    description: 'Per-subgraph URL override (`SUBGRAPH_URL_ORDERS=http://…/graphql`); an http(s) URL, NAME a subgraph name.',
  },
  {
    name: 'APOLLO_TELEMETRY_DISABLED',
    readBy: 'router',
    default: 'true',
    description: "@apollo/gateway's own usage reporting to Apollo; off unless set to `false`.",
  },
  {
    name: 'OTEL_*',
    readBy: 'every service',
    default: 'tracing off',
    description:
      'The standard OpenTelemetry variables (`OTEL_TRACES_EXPORTER=otlp|console`, `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`, `OTEL_BSP_*`, `OTEL_SDK_DISABLED`…); see Tracing in the README.',
  },
  {
    name: 'UV_THREADPOOL_SIZE',
    readBy: 'protocol-bridge',
    default: '4',
    description:
      "Node's libuv thread pool (scrypt, file and DNS work share it). The bridge reads it to bound concurrent password checks below it by default (`BRIDGE_SCRYPT_CONCURRENCY`), so a reconnect storm leaves a thread for I/O.",
  },
  {
    name: 'EVCS_EXIT_WITH_PARENT',
    readBy: 'every service',
    description: '`1`: stop when the parent process is gone (stdin closes). Set by the dev launcher (`npm start`, tests).',
  },
  {
    name: 'EVCS_CPU_PROFILE_DIR',
    readBy: 'every service, under `npm run bench:starts -- --cpu-prof DIR`',
    description:
      'Where a service writes `<service>-<pid>.cpuprofile`: set by the benchmark with a `--require` preload; the first SIGUSR2 starts the V8 profiler, the second writes the profile.',
  },
  {
    name: 'PEER',
    readBy: 'bench:router (its peer gateway process)',
    description: '`hive` or `apollo`: which stock gateway `ops/dev/src/bench/peer-gateway.ts` runs (set by the benchmark).',
  },
  {
    name: 'PEER_AUTHORIZATION',
    readBy: 'bench:router (its peer gateway process)',
    description: 'The `Bearer …` header (a pre-signed router internal token) the peer gateway sends to every subgraph (set by the benchmark).',
  },
  {
    name: 'SIM_PASSWORD',
    readBy: '`npm run simulate`',
    description: 'The password of the user `--username` the simulator signs in as (never on the command line).',
  },
  {
    name: 'SIM_CHARGER_PASSWORD',
    readBy: '`npm run simulate`',
    description: 'Without a sign-in: one Basic-auth password for every simulated OCPP charger (benchmarks).',
  },
  {
    name: 'PROMETHEUS_PORT',
    readBy: '`npm start -- --observability`',
    default: '9090',
    description: 'The local Prometheus that scrapes every service (docs/observability.md).',
  },
  {
    name: 'CONSOLE_PORT',
    readBy: '`npm start`',
    default: '4300',
    description: 'The operator console (console/dist and /graphql proxied to the router, WebSocket included), on 127.0.0.1.',
  },
  { name: 'EVCS_DATABASE', readBy: '`npm start`', default: 'evcs', description: 'Database name.' },
  {
    name: 'PG_SUPERUSER_URL',
    readBy: '`npm start`, tests',
    default: 'postgres://postgres@127.0.0.1:5432/postgres',
    description: 'Provisioning only: creates the database, the roles and runs migrations.',
  },
  { name: 'NODE_ENV', readBy: '`npm start`, tests (passed to every service)', default: 'production', description: "Passed on to the services' processes." },
  {
    name: 'LOG_LEVEL',
    readBy: '`npm start`, tests, loggers made outside a service',
    default: 'info',
    description: 'Passed on to every service; also the level of loggers made before or outside a service.',
  },
  { name: 'EVCS_CPU_PROF', readBy: '`npm start`, benchmarks', description: '`<dir>:<service>`: run that service with `--cpu-prof` into dir.' },
  {
    name: 'DRILL_KAFKA_PORT, DRILL_KAFKA_CONTROLLER_PORT',
    readBy: '`npm run drill`',
    default: '19092, 19093',
    description: "The drill's own broker (it kills and restarts it).",
  },
  { name: 'DRILL_STALL_MS', readBy: '`npm run drill`', default: '15000', description: 'How long `pg-stall` holds the locks.' },
  {
    name: 'APOLLO_KEY',
    readBy: '`npm run schema:check` (and rover itself)',
    default: 'GraphOS checks skipped',
    description:
      'A GraphOS graph API key: with it the schema check also runs `rover subgraph check` for every subgraph (rover must be on PATH; it is not installed for you). See docs/schema-checks.md.',
  },
  {
    name: 'APOLLO_GRAPH_REF',
    readBy: '`npm run schema:check`',
    default: '**required** with APOLLO_KEY',
    description: 'The graph variant the subgraph checks run against (`graph-id@variant`).',
  },
  {
    name: 'KAFKA_HOME, KAFKA_PORT, KAFKA_CONTROLLER_PORT, KAFKA_HEAP_OPTS',
    readBy: '`ops/kafka/kafka.sh`',
    default: '.cache/kafka, 9092, 9093, -Xms256m -Xmx512m',
    description: 'The local broker; see `ops/kafka/README.md`.',
  },
];

/** The names an entry covers, for the completeness check: `A, B` lists, `X_*` and `X_<NAME>` patterns. */
export function coveredBy(v: OtherVariable): (name: string) => boolean {
  const parts = v.name.split(',').map((p) => p.trim());
  return (name) =>
    parts.some((p) => {
      const prefix = p.replace(/(\*|<[A-Z_]+>)$/, '');
      return prefix !== p ? name.startsWith(prefix) : name === p;
    });
}
