import type { CollectionName } from './collections.js'
import type { Collection } from './store.js'

/** A collection kept in a Map, for unit tests of parts that store a few records. Values are copied in, as a store would. */
export function memoryCollection<T>(name: CollectionName, data = new Map<string, T>()): Collection<T> {
  return {
    name,
    get: (key) => Promise.resolve(data.get(key)),
    getMany: (keys) => Promise.resolve(keys.map((k) => data.get(k))),
    put: (key, value) => { data.set(key, structuredClone(value)); return Promise.resolve() },
    del: (key) => { data.delete(key); return Promise.resolve() },
    clear: () => { data.clear(); return Promise.resolve() },
    entries: async function * () { for (const entry of [...data]) yield await Promise.resolve(entry) },
    all: () => Promise.resolve([...data])
  }
}
