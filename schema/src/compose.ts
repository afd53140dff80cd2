import { composeServices } from '@apollo/composition';
import { GraphQLSchema, parse } from 'graphql';
import { withSubscriptions } from './api-schema';
import { subgraphSdl } from '@evcs/platform';
import { SUBGRAPHS } from './subgraphs';

export interface Artifacts {
  subgraphs: { name: string; url: string; sdl: string; sdlPath: string }[];
  supergraph: string;
  /** what clients see: the supergraph's API schema plus the router's subscription SDL */
  apiSchema: GraphQLSchema;
}

/** Emit every subgraph's SDL from code and compose the supergraph from them. */
export async function produceArtifacts(): Promise<Artifacts> {
  const subgraphs = [];
  for (const sg of SUBGRAPHS) {
    subgraphs.push({ name: sg.name, url: sg.url, sdlPath: sg.sdlPath, sdl: subgraphSdl(await sg.build()) });
  }
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  if (result.errors) {
    throw new Error(`composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return { subgraphs, supergraph: result.supergraphSdl.trim() + '\n', apiSchema: withSubscriptions(result.schema.toAPISchema().toGraphQLJSSchema()) };
}
