import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { PaymentEvent, PaymentEvents } from '@evcs/events';
import pino from 'pino';
import { activeTraceIds, KafkaEventBus, OutboxWriter, ReceivedMessage, Subscription, tracesExporterFromEnv } from '../src';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const name = (p: string) => `${p}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

describe('tracing is off unless the standard OTEL_* variables ask for it', () => {
  it.each([
    [{}, null],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'otlp'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, 'otlp'],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, 'otlp'],
    [{ OTEL_TRACES_EXPORTER: 'console' }, 'console'],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, null],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }, null],
  ])('%j → %s', (env, expected) => {
    expect(tracesExporterFromEnv(env)).toBe(expected);
  });

  it('an exporter it does not have is an error, not silently nothing', () => {
    expect(() => tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/unsupported exporter zipkin/);
  });
});

/**
 * The trace crosses Kafka and the outbox in the events' own headers (W3C traceparent), with a real
 * broker and an in-memory span exporter in this process.
 */
describe('trace context through the outbox and Kafka (real Kafka)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let bus: KafkaEventBus;
  let sub: Subscription | undefined;
  const topic = name('t_trace');

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    provider.register({ propagator: new W3CTraceContextPropagator() });
    bus = new KafkaEventBus({ clientId: name('trace-test'), brokers, logger: pino({ level: 'silent' }) });
    await bus.ensureTopics([{ topic, partitions: 1 }]);
  });
  afterAll(async () => {
    await sub?.stop();
    await bus?.close();
    await provider.shutdown();
  });

  it('a message published inside a span is handled in a CONSUMER span of the same trace, child of the publisher', async () => {
    const seen: Array<{ traceId?: string; parentOf: string | undefined }> = [];
    sub = await bus.subscribe({
      groupId: name('trace-group'),
      topics: [topic],
      fromBeginning: true,
      handleBatch: async (ms: ReceivedMessage[]) => {
        seen.push({ traceId: activeTraceIds().traceId, parentOf: ms[0].headers.traceparent });
      },
    });
    await sub.ready;
    const tracer = trace.getTracer('test');
    const producerSpan = await tracer.startActiveSpan('request', async (span) => {
      await bus.publish(topic, [{ key: 'k', value: 'v' }]);
      span.end();
      return span.spanContext();
    });
    const deadline = Date.now() + 30_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(seen).toHaveLength(1);
    expect(seen[0].traceId).toBe(producerSpan.traceId);
    expect(seen[0].parentOf).toBe(`00-${producerSpan.traceId}-${producerSpan.spanId}-01`);
    const consumer = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CONSUMER);
    expect(consumer).toMatchObject({ name: `process ${topic}` });
    expect(consumer!.spanContext().traceId).toBe(producerSpan.traceId);
    expect(consumer!.parentSpanId).toBe(producerSpan.spanId);
  });

  it('an outbox row keeps the trace of the request that enqueued it; without a span it carries none', () => {
    const writer = new OutboxWriter('orders');
    const event: PaymentEvent = {
      id: randomUUID(),
      type: 'payment.failed',
      version: 1,
      tenantId: randomUUID(),
      orderId: randomUUID(),
      paymentId: randomUUID(),
      occurredAt: new Date().toISOString(),
      data: { state: 'FAILED', channel: 'ALIPAY', reason: null },
    };
    const contract = PaymentEvents;
    const outside = JSON.parse(writer.row(contract, event).headers) as Record<string, string>;
    expect(outside.traceparent).toBeUndefined();
    const { headers, ctx } = trace.getTracer('test').startActiveSpan('request', (span) => {
      const row = writer.row(contract, event);
      span.end();
      return { headers: JSON.parse(row.headers) as Record<string, string>, ctx: span.spanContext() };
    });
    expect(headers.traceparent).toBe(`00-${ctx.traceId}-${ctx.spanId}-01`);
    expect(headers['tenant-id']).toBe(event.tenantId);
  });

  it('log lines inside a span name its trace and span; outside one they name none', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) });
    const log = pino({ mixin: activeTraceIds }, sink);
    log.info('outside');
    const ctx = trace.getTracer('test').startActiveSpan('request', (span) => {
      log.info('inside');
      span.end();
      return span.spanContext();
    });
    const [outside, inside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(outside.traceId).toBeUndefined();
    expect(inside).toMatchObject({ traceId: ctx.traceId, spanId: ctx.spanId });
  });
});
