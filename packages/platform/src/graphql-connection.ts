import 'reflect-metadata';
import { Directive, Field, ObjectType } from 'type-graphql';
import type { CursorCodec } from './cursor';

/**
 * The one Relay page state, included by every subgraph that pages a list. It is a value type
 * several subgraphs define, so federation needs it identical everywhere (@shareable): one class.
 * Forward-only: no `hasPreviousPage`/`startCursor`, no list pages backwards.
 */
@Directive('@shareable')
@ObjectType('PageInfo', { description: 'Relay cursor pagination state (forward only).' })
export class PageInfoObject {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

export interface Edge<N> {
  cursor: string;
  node: N;
}

export interface ConnectionPage<N> {
  edges: Edge<N>[];
  pageInfo: PageInfoObject;
}

/**
 * One page of a forward-paged list. Reads fetch `first + 1` rows: the extra row only says a
 * next page exists. Each edge's cursor is the list's codec over the row's sort key, so the last
 * edge's cursor is where the next page starts (`after`).
 */
export function connectionOf<R, K, N>(
  rows: readonly R[],
  first: number,
  page: { codec: CursorCodec<K>; key: (row: R) => K; node: (row: R) => N },
): ConnectionPage<N> {
  const edges = rows.slice(0, first).map((r) => ({ cursor: page.codec.encode(page.key(r)), node: page.node(r) }));
  const pageInfo = Object.assign(new PageInfoObject(), { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null });
  return { edges, pageInfo };
}
