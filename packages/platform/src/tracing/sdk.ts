import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/** Paths never traced: probes and scrapes would be most of the spans and say nothing. */
const UNTRACED_PATHS = ['/health/live', '/health/ready', '/metrics'];

type Env = Record<string, string | undefined>;

/**
 * Which span exporter the standard OTEL_* variables ask for, or null for none.
 *
 * Off unless asked: locally nothing is configured, and then no provider is registered, no
 * exporter exists and no connection is ever attempted. Asked means OTEL_TRACES_EXPORTER names
 * `otlp` or `console`, or an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none win.
 */
export function tracesExporterFromEnv(env: Env = process.env): 'otlp' | 'console' | null {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return null;
  const named = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (named.includes('none')) return null;
  if (named.includes('otlp')) return 'otlp';
  if (named.includes('console')) return 'console';
  if (named.length > 0) throw new Error(`OTEL_TRACES_EXPORTER: unsupported exporter ${named.join(',')} (otlp, console or none)`);
  return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'otlp' : null;
}

let provider: NodeTracerProvider | undefined;

/**
 * Start tracing for this process, if the environment asks for it. Must run before http, pg and
 * undici are first required (the instrumentations patch them on load): each main loads
 * `@evcs/platform/tracing` as its first import. Idempotent.
 *
 * The exporter reads its endpoint, headers, protocol details and timeouts from the standard
 * OTEL_EXPORTER_OTLP_* variables, the batch processor its delays from OTEL_BSP_*.
 */
export function startTracing(serviceName: string, env: Env = process.env): boolean {
  if (provider) return true;
  const kind = tracesExporterFromEnv(env);
  if (!kind) return false;
  const exporter: SpanExporter = kind === 'otlp' ? new OTLPTraceExporter() : new ConsoleSpanExporter();
  provider = new NodeTracerProvider({
    resource: new Resource({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  // W3C traceparent only: the one format every hop here (router, subgraphs, Kafka headers) speaks.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.some((p) => (req.url ?? '').startsWith(p)) }),
      // Statements inside a request or message only (not the relays' and jobs' polls), without
      // parameter values: values can be personal data.
      new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true }),
      new UndiciInstrumentation(),
    ],
  });
  return true;
}

/** Export what is buffered; called on shutdown so the last spans of a process are not lost. */
export async function stopTracing(): Promise<void> {
  const p = provider;
  provider = undefined;
  await p?.shutdown();
}
