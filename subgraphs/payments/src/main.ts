import { runSubgraphMain } from '@evcs/platform';
import { createPaymentsServer } from './schema';

runSubgraphMain({ name: 'payments', defaultPort: 4005, createServer: (rt) => createPaymentsServer(rt) });
