import path from 'node:path';
import type { SubgraphMigrations } from '@evcs/platform';

/** The bridge's Postgres schema and its migrations (run by ops/dev like every subgraph's). */
export const migrations: SubgraphMigrations = { schema: 'bridge', directory: path.join(__dirname, '../../migrations') };
