export * from './schema';
export * from './server';
export { StatusIngestService } from './domain/status-ingest';
export { PgStatusStore } from './persistence/status-store';
export { startStatusConsumer } from './events/status-consumer';
export { seedDemoAssets, DemoStation } from './persistence/seed';
