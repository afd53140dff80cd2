import { connectionOf, pageWindow, type ConnectionPage, type CursorCodec, type PageWindow } from '../src';

/** A row of a list ordered by (at, id). */
export type Row = { at: number; id: number };
export const cmp = (a: Row, b: Row): number => a.at - b.at || a.id - b.id;

/** Pages a whole list forwards, then backwards from its end; returns the rows each way visited. */
export async function walk(
  fetch: (w: PageWindow<Row>) => Row[] | Promise<Row[]>,
  size: number,
  codec: CursorCodec<Row>,
): Promise<{ forward: Row[]; backward: Row[] }> {
  const page = { key: (r: Row) => ({ at: r.at, id: r.id }), node: (r: Row) => r };
  const forward: Row[] = [];
  let after: string | null = null;
  for (;;) {
    const w: PageWindow<Row> = pageWindow({ first: size, after }, { codec, defaultSize: size, max: 500 });
    const c: ConnectionPage<Row> = connectionOf(await fetch(w), w, page);
    forward.push(...c.edges.map((e) => e.node));
    if (!c.pageInfo.hasNextPage) break;
    after = c.pageInfo.endCursor;
  }
  const backward: Row[] = [];
  let before: string | null = null;
  for (;;) {
    const w: PageWindow<Row> = pageWindow({ last: size, before }, { codec, defaultSize: size, max: 500 });
    const c: ConnectionPage<Row> = connectionOf(await fetch(w), w, page);
    backward.unshift(...c.edges.map((e) => e.node));
    if (!c.pageInfo.hasPreviousPage) break;
    before = c.pageInfo.startCursor;
  }
  return { forward, backward };
}
