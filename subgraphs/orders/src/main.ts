import { runSubgraphMain } from '@evcs/platform';
import { createOrdersServer } from './schema';

runSubgraphMain({ name: 'orders', defaultPort: 4004, createServer: (rt) => createOrdersServer(rt) });
