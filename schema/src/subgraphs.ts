import 'reflect-metadata';
import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { buildAssetsSchema } from '@evcs/assets';
import { buildOrdersSchema } from '@evcs/orders';
import { buildPaymentsSchema } from '@evcs/payments';
import { buildTariffsSchema } from '@evcs/tariffs';
import { buildTenantsSchema } from '@evcs/tenants';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

export interface SubgraphDef {
  name: string;
  /** default local URL; deployments override per subgraph in the router's env */
  url: string;
  build(): Promise<GraphQLSchema>;
  /** where the emitted SDL is committed */
  sdlPath: string;
}

const def = (name: string, port: number, build: () => Promise<GraphQLSchema>): SubgraphDef => ({
  name,
  url: `http://127.0.0.1:${port}/graphql`,
  build,
  sdlPath: path.join(REPO_ROOT, 'subgraphs', name, `${name}.graphql`),
});

export const SUBGRAPHS: SubgraphDef[] = [
  def('tenants', 4001, buildTenantsSchema),
  def('assets', 4002, buildAssetsSchema),
  def('tariffs', 4003, buildTariffsSchema),
  def('orders', 4004, buildOrdersSchema),
  def('payments', 4005, buildPaymentsSchema),
];

export const SUPERGRAPH_PATH = path.join(REPO_ROOT, 'schema', 'supergraph.graphql');
