import { runSubgraphMain } from '@evcs/platform';
import { createTariffsServer } from './schema';

runSubgraphMain({ name: 'tariffs', defaultPort: 4003, createServer: (rt) => createTariffsServer(rt) });
