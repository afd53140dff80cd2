/**
 * DataLoader batch functions must answer in the order of the keys they were
 * given; a query returns rows in its own order. These put rows back in key order.
 */

/** One row (or null) per key. */
export function byKey<T, K>(rows: readonly T[], keys: readonly K[], key: (r: T) => K): (T | null)[] {
  const m = new Map<K, T>();
  for (const r of rows) m.set(key(r), r);
  return keys.map((k) => m.get(k) ?? null);
}

/** Every row of each key (empty for none), in the rows' order; rows whose key is null belong to no one. */
export function groupByKey<T, K>(rows: readonly T[], keys: readonly K[], key: (r: T) => K | null): T[][] {
  const m = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    if (k === null) continue;
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return keys.map((k) => m.get(k) ?? []);
}
