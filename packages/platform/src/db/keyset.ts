import type { Knex } from 'knex';
import type { KeysetWindow } from '../cursor';

/**
 * How a list is ordered, for keyset reads: by its sort key's columns, a unique one (the id)
 * last, all one way — a stable total order, so a position between two rows is exact and a
 * page never skips or repeats a row when rows are added elsewhere. The columns must not be null.
 */
export interface KeysetOrder<K> {
  /**
   * the columns, most significant first, unique together (e.g. `['orders.sort_at', 'orders.id']`);
   * an expression the list is ordered by is a `knex.raw` (e.g. `knex.raw('upper(value)')`)
   */
  columns: readonly (string | Knex.Raw)[];
  /** Postgres types of the cursor's values, where text would not compare (e.g. `[null, 'uuid']`) */
  types?: readonly (string | null)[];
  /** the list's order */
  order: 'asc' | 'desc';
  /** a cursor's key as the columns' values, in the columns' order */
  values: (key: K) => readonly unknown[];
}

const PG_TYPE = /^[a-z][a-z0-9_ ]*$/;

/**
 * Adds the window's keyset condition, order and limit (`size + 1`: the extra row says more rows
 * exist beyond the page) to `q`. Paging backwards reads the other way, nearest rows first; pass
 * the rows through `keysetRows` to get them in list order. For pipelined reads; `keysetPage`
 * does both.
 */
export function keysetQuery<Q extends Knex.QueryBuilder, K>(q: Q, window: KeysetWindow<K>, order: KeysetOrder<K>): Q {
  const ascending = (order.order === 'asc') === (window.direction === 'forward');
  if (window.cursor !== null) {
    const values = order.values(window.cursor);
    if (values.length !== order.columns.length) throw new Error(`keyset: ${values.length} values for ${order.columns.length} columns`);
    const params = values.map((_, i) => {
      const type = order.types?.[i];
      if (type && !PG_TYPE.test(type)) throw new Error(`keyset: not a type name: ${type}`);
      return type ? `?::${type}` : '?';
    });
    q.whereRaw(`(${order.columns.map(() => '??').join(', ')}) ${ascending ? '>' : '<'} (${params.join(', ')})`, [
      ...order.columns,
      ...values,
    ] as Knex.RawBinding[]);
  }
  // knex binds a column name as an identifier and a knex.raw as itself, in both places
  return q.orderBy(order.columns.map((column) => ({ column, order: ascending ? 'asc' : 'desc' }))).limit(window.size + 1) as Q;
}

/** A keyset read's rows in list order (a backward read comes nearest first). */
export function keysetRows<R>(rows: readonly R[], window: KeysetWindow<unknown>): R[] {
  return window.direction === 'forward' ? [...rows] : [...rows].reverse();
}

/** One keyset page of `q`: up to `size + 1` rows in list order, as `connectionOf` takes them. */
export async function keysetPage<R, K>(q: Knex.QueryBuilder, window: KeysetWindow<K>, order: KeysetOrder<K>): Promise<R[]> {
  return keysetRows<R>((await keysetQuery(q, window, order)) as R[], window);
}
