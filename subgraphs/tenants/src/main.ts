import { runSubgraphMain } from '@evcs/platform';
import { createTenantsServer } from './schema';

runSubgraphMain({ name: 'tenants', defaultPort: 4001, createServer: (rt) => createTenantsServer(rt) });
