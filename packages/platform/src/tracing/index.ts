export { activeTraceIds, inConsumerSpan, inSpan, outsideTrace, SpanKind, traceHeaders, withTraceHeaders } from './context';
export { startTracing, stopTracing, tracesExporterFromEnv } from './sdk';
