// Stores and components keep their collections in `$state.raw`, which notices a new object but
// not a change inside one, and a component may still be rendering the old one. So these are
// never changed in place: each update below returns a new collection.

/** `set` with `item` in it when `present`, without it otherwise. */
export function toggled<T>(set: ReadonlySet<T>, item: T, present: boolean): ReadonlySet<T> {
  return present ? new Set([...set, item]) : new Set([...set].filter((x) => x !== item))
}

/** `map` with these entries added, or replacing the ones with the same keys. */
export function withEntries<K, V>(map: ReadonlyMap<K, V>, entries: Iterable<readonly [K, V]>): ReadonlyMap<K, V> {
  return new Map([...map, ...entries])
}

/** `map` without `key`. */
export function withoutKey<K, V>(map: ReadonlyMap<K, V>, key: K): ReadonlyMap<K, V> {
  return new Map([...map].filter(([k]) => k !== key))
}
