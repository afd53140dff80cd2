export { metricsRegistry, counter, gauge, histogram, collectProcessMetrics, LATENCY_BUCKETS, ScrapeSources } from './registry';
export { startMetricsServer, type MetricsServer } from './server';
export { graphqlMetricsPlugin, operationLabel } from './graphql';
export { ConsumerLagMonitor } from './kafka';
export { BUSINESS_METRIC_NAMES, createBusinessMetrics, type BusinessMetricsOptions } from './business';
