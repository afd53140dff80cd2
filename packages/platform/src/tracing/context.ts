import { context, Context, Link, propagation, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

/**
 * Trace context across Kafka and the outbox, with @opentelemetry/api only: without a registered
 * provider (tracing off) every call here is a cheap no-op.
 *
 * Why not the kafkajs instrumentation: events leave through the outbox. They are enqueued in the
 * request's transaction and published later by the relay, outside the request's context, so the
 * trace must travel in the event's own headers from the moment it is enqueued; the relay then
 * publishes headers that already carry it.
 */

const TRACER = 'evcs';

/** The active trace context as W3C headers (`traceparent`, maybe `tracestate`); {} when none. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** `headers` plus the active trace context, unless they carry one already (the outbox's). */
export function withTraceHeaders(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  if (headers?.traceparent) return headers;
  const trace = traceHeaders();
  if (!trace.traceparent) return headers;
  return { ...headers, ...trace };
}

function contextOf(headers: Record<string, string> | undefined): Context {
  return headers?.traceparent ? propagation.extract(ROOT_CONTEXT, headers) : ROOT_CONTEXT;
}

/**
 * Run `fn` in a CONSUMER span for a batch of messages of one partition. The span continues the
 * first message's trace (a batch is usually one message when load is light, and then the trace is
 * one unbroken line from the request to here) and links every other message's context, as the
 * OpenTelemetry messaging conventions do for batch processing.
 */
export async function inConsumerSpan<T>(
  topic: string,
  groupId: string,
  messages: ReadonlyArray<{ headers: Record<string, string> }>,
  fn: () => Promise<T>,
): Promise<T> {
  const tracer = trace.getTracer(TRACER);
  const parent = contextOf(messages[0]?.headers);
  const links: Link[] = [];
  for (const m of messages.slice(1)) {
    const sc = trace.getSpanContext(contextOf(m.headers));
    if (sc) links.push({ context: sc });
  }
  const attributes = {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.destination.name': topic,
    'messaging.consumer.group.name': groupId,
    'messaging.batch.message_count': messages.length,
  };
  return tracer.startActiveSpan(`process ${topic}`, { kind: SpanKind.CONSUMER, links, attributes }, parent, (span) => endWith(span, fn));
}

/**
 * Run `fn` in a span. `root`: the span starts a trace whatever context is active — a charger's
 * message at the bridge (kind SERVER) begins one, and the consumers of the events it causes continue it.
 */
export async function inSpan<T>(
  name: string,
  attributes: Record<string, string | number | boolean>,
  fn: () => Promise<T>,
  opts: { kind?: SpanKind; root?: boolean } = {},
): Promise<T> {
  const { kind = SpanKind.INTERNAL, root = false } = opts;
  return trace.getTracer(TRACER).startActiveSpan(name, { kind, attributes, root }, (span) => endWith(span, fn));
}

async function endWith<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    span.recordException(e as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
    throw e;
  } finally {
    span.end();
  }
}

/**
 * Run `fn` outside any trace. For background loops that a request merely wakes (the outbox relay):
 * a timer set inside a request inherits its context, and every poll after it would join that trace.
 */
export function outsideTrace<T>(fn: () => T): T {
  return context.with(ROOT_CONTEXT, fn);
}

/** Trace and span id of the active span, for log lines; {} when none. */
export function activeTraceIds(): { traceId?: string; spanId?: string } {
  const sc = trace.getActiveSpan()?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return {};
  return { traceId: sc.traceId, spanId: sc.spanId };
}

export { SpanKind };
