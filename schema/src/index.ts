export * from './subgraphs';
export * from './compose';
