import 'reflect-metadata';
import { ArgsType, Directive, Field, Int, ObjectType } from 'type-graphql';
import type { PageArgs, PageWindow } from './cursor';

/**
 * The one Relay page state, included by every subgraph that pages a list. It is a value type
 * several subgraphs define, so federation needs it identical everywhere (@shareable): one class.
 */
@Directive('@shareable')
@ObjectType('PageInfo', { description: 'Relay cursor pagination state: `first`/`after` page forwards, `last`/`before` backwards.' })
export class PageInfoObject {
  @Field({ description: 'More rows follow the last edge (ask with `after: endCursor`). Paging backwards: whether `before` was given.' })
  hasNextPage!: boolean;
  @Field({ description: 'More rows precede the first edge (ask with `before: startCursor`). Paging forwards: whether `after` was given.' })
  hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true, description: "The first edge's cursor (none on an empty page)" }) startCursor!: string | null;
  @Field(() => String, { nullable: true, description: "The last edge's cursor (none on an empty page)" }) endCursor!: string | null;
}

/**
 * The Relay arguments, the same on every paged list (`@Args() page: RelayPageArgs`, then
 * `pageWindow(page, …)`). The list's own description says its default and largest page.
 */
@ArgsType()
export class RelayPageArgs implements PageArgs {
  @Field(() => Int, { nullable: true, description: 'Page forwards: this many rows after `after` (from the start without it)' })
  first?: number | null;
  @Field(() => String, { nullable: true, description: 'endCursor of the previous page (with `first`)' }) after?: string | null;
  @Field(() => Int, { nullable: true, description: 'Page backwards: this many rows before `before` (the end of the list without it)' })
  last?: number | null;
  @Field(() => String, { nullable: true, description: 'startCursor of the next page (with `last`)' }) before?: string | null;
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
 * One page of a keyset-paged list. `rows` are what the window's read returned (`keysetRows`):
 * in list order, with at most one row beyond the window on its far side — after the page when
 * paging forwards, before it when paging backwards. That row only says more rows exist there.
 * Each edge's cursor is the window's codec over the row's sort key.
 *
 * The near side is not read: paging forwards, `hasPreviousPage` is whether `after` was given
 * (the Relay spec allows this); backwards, `hasNextPage` is whether `before` was.
 */
export function connectionOf<R, K, N>(rows: readonly R[], window: PageWindow<K>, page: { key: (row: R) => K; node: (row: R) => N }): ConnectionPage<N> {
  const more = rows.length > window.size;
  const forward = window.direction === 'forward';
  const inPage = forward ? rows.slice(0, window.size) : rows.slice(rows.length - Math.min(rows.length, window.size));
  // An edge's cursor is encoded when it is read: most clients select the nodes and pageInfo's two
  // cursors, not one per edge (encoding validates the key: ~4 % of a 20-row list's CPU in orders).
  const edges = inPage.map((r) => {
    let cursor: string | undefined;
    return {
      get cursor(): string {
        return (cursor ??= window.codec.encode(page.key(r)));
      },
      node: page.node(r),
    };
  });
  const cursorGiven = window.cursor !== null;
  const pageInfo = Object.assign(new PageInfoObject(), {
    hasNextPage: forward ? more : cursorGiven,
    hasPreviousPage: forward ? cursorGiven : more,
    startCursor: edges[0]?.cursor ?? null,
    endCursor: edges.at(-1)?.cursor ?? null,
  });
  return { edges, pageInfo };
}
