import { chmod, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { EnclaveError } from '../errors.js'
import { COLLECTIONS, type CollectionName, type RangeOptions } from './collections.js'
import { hideKeys } from './hide-keys.js'
import { clearKeys, createKeyMapper, type KeyMapper } from './key-layout.js'
import { frameKeyed, unframeKeyed } from './keyed-value.js'
import { CURRENT_SCHEMA_VERSION, HIDDEN_KEYS_VERSION, MIGRATIONS, type Migration } from './migrations.js'
import { createSealedCodec } from './sealed-codec.js'
import { jsonValueCodec, type ValueCodec } from './value-codec.js'
import type { Logger } from '../logger.js'

export { COLLECTIONS, type CollectionName, type RangeOptions }

export interface Collection<T> {
  readonly name: CollectionName
  get(key: string): Promise<T | undefined>
  getMany(keys: string[]): Promise<Array<T | undefined>>
  put(key: string, value: T): Promise<void>
  del(key: string): Promise<void>
  /**
   * Entries in a range of logical keys. Keys on disk are HMACs of the ids in them
   * (key-layout.ts), so order holds only where the layout keeps it: within one group of
   * hashed segments, by the clear segments after it. A message range inside one hour comes
   * in no order; the caller sorts.
   */
  entries(range?: RangeOptions): AsyncGenerator<[string, T]>
  /**
   * The entries of a small range at once (an hour of a conversation): one read of LevelDB where
   * `entries` makes three (its first step fetches one entry), which is what reading history
   * hour by hour spent most of its time on.
   */
  all(range: RangeOptions): Promise<Array<[string, T]>>
  /** Deletes every entry, readable or not (a damaged index is dropped whole and rebuilt). */
  clear(): Promise<void>
}

/** Writes to several collections that land atomically, or not at all. */
export interface StoreBatch {
  put<T>(collection: Collection<T>, key: string, value: T): StoreBatch
  del(collection: Collection<unknown>, key: string): StoreBatch
  readonly length: number
  /** Runs `fn` once the batch is durably written (never if the write fails). */
  afterWrite(fn: () => void): StoreBatch
  write(): Promise<void>
}

export interface Store {
  collection<T>(name: CollectionName): Collection<T>
  batch(): StoreBatch
  readonly schemaVersion: number
  /**
   * Every entry as it lies on disk (keys hidden, values sealed), from one snapshot taken when
   * the first page is read, a page at a time: what a backup copies without opening anything.
   */
  rawPages(pageSize: number): AsyncGenerator<Array<[Uint8Array, Uint8Array]>>
  close(): Promise<void>
}

export interface StoreInit {
  /** Folder of the LevelDB database. */
  path: string
  log: Logger
  /**
   * Seals every value and keys the HMACs that stand for ids in keys on disk. Without it (unit
   * tests) values are plain JSON and keys stay as callers write them.
   */
  dataKey?: Uint8Array
  /** Overrides how values are sealed (tests). @default sealed under `dataKey`, else JSON */
  codec?: ValueCodec
  /** Overridable for tests of the migration runner. */
  migrations?: readonly Migration[]
}

type Db = ClassicLevel<string, Uint8Array>
type Sub = ReturnType<Db['sublevel']>

const SCHEMA_KEY = 'schemaVersion'

export async function openStore(init: StoreInit): Promise<Store> {
  const codec = init.codec ?? (init.dataKey === undefined ? jsonValueCodec : createSealedCodec(init.dataKey))
  const migrations = [...(init.migrations ?? MIGRATIONS)].sort((a, b) => a.version - b.version)
  const target = migrations.at(-1)?.version ?? 0
  // A store opened at schema 3 or older (tests of the migration) writes keys as they were then.
  const hidden = init.dataKey === undefined ? undefined : createKeyMapper(init.dataKey)
  const keys: KeyMapper = hidden !== undefined && target >= HIDDEN_KEYS_VERSION ? hidden : clearKeys
  // LevelDB allows one open handle per path; a second node on the same data dir fails here.
  const db: Db = new ClassicLevel<string, Uint8Array>(init.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  try {
    await db.open()
  } catch (err) {
    throw new EnclaveError('store-error', `cannot open store at ${init.path} (is another node using it?)`, { cause: err })
  }
  // Files of stores made before: this user's only, like everything the core writes now (umask).
  await chmod(init.path, 0o700)
  for (const name of await readdir(init.path)) await chmod(join(init.path, name), 0o600).catch(() => undefined)

  const subs = new Map<CollectionName, Sub>()
  const sub = (name: CollectionName): Sub => {
    let s = subs.get(name)
    if (s === undefined) {
      s = db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' }) as unknown as Sub
      subs.set(name, s)
    }
    return s
  }


  // Values under hidden keys carry their logical key, sealed under their own label: a value of
  // the old layout never authenticates as one of the new (hide-keys.ts tells them apart so).
  const encode = (name: CollectionName, key: string, diskKey: string, value: unknown): Uint8Array =>
    keys.hides(name) ? codec.encode(`keyed/${name}`, diskKey, frameKeyed(name, key, value)) : codec.encode(name, key, value)
  const decode = (name: CollectionName, diskKey: string, bytes: Uint8Array): { key: string; value: unknown } =>
    keys.hides(name) ? unframeKeyed(name, codec.decode(`keyed/${name}`, diskKey, bytes)) : { key: diskKey, value: codec.decode(name, diskKey, bytes) }

  const collection = <T>(name: CollectionName): Collection<T> => {
    const s = sub(name) as unknown as ClassicLevel<string, Uint8Array>
    return {
      name,
      get: async (key) => {
        const diskKey = keys.key(name, key)
        const bytes = await s.get(diskKey)
        return bytes === undefined ? undefined : decode(name, diskKey, bytes).value as T
      },
      getMany: async (logical) => {
        const diskKeys = logical.map((k) => keys.key(name, k))
        const values = await s.getMany(diskKeys)
        return values.map((bytes, i) => (bytes === undefined ? undefined : decode(name, diskKeys[i] ?? '', bytes).value as T))
      },
      put: (key, value) => {
        const diskKey = keys.key(name, key)
        return s.put(diskKey, encode(name, key, diskKey, value))
      },
      del: (key) => s.del(keys.key(name, key)),
      clear: () => s.clear(),
      entries: async function * (range = {}) {
        const { range: onDisk, filter } = keys.range(name, range)
        let left = range.limit ?? -1
        if (left === 0) return
        for await (const [diskKey, bytes] of s.iterator({ ...onDisk, limit: onDisk.limit ?? -1 })) {
          const { key, value } = decode(name, diskKey, bytes)
          if (filter !== undefined && !filter(key)) continue
          yield [key, value as T]
          if (--left === 0) return
        }
      },
      all: async (range) => {
        const { range: onDisk, filter } = keys.range(name, range)
        const out: Array<[string, T]> = []
        for (const [diskKey, bytes] of await s.iterator({ ...onDisk, limit: onDisk.limit ?? -1 }).all()) {
          const { key, value } = decode(name, diskKey, bytes)
          if (filter !== undefined && !filter(key)) continue
          out.push([key, value as T])
          if (out.length === range.limit) break
        }
        return out
      }
    }
  }

  const batch = (): StoreBatch => {
    const ops: Array<{ type: 'put'; sublevel: Sub; key: string; value: Uint8Array } | { type: 'del'; sublevel: Sub; key: string }> = []
    const written: Array<() => void> = []
    const b: StoreBatch = {
      put: (c, key, value) => {
        const diskKey = keys.key(c.name, key)
        ops.push({ type: 'put', sublevel: sub(c.name), key: diskKey, value: encode(c.name, key, diskKey, value) })
        return b
      },
      del: (c, key) => {
        ops.push({ type: 'del', sublevel: sub(c.name), key: keys.key(c.name, key) })
        return b
      },
      get length () { return ops.length },
      afterWrite: (fn) => {
        written.push(fn)
        return b
      },
      write: async () => {
        // Typed loosely by abstract-level; each op names its sublevel, which encodes key and value.
        if (ops.length > 0) await db.batch(ops as unknown as Array<{ type: 'del'; key: string }>)
        for (const fn of written.splice(0)) fn()
      }
    }
    return b
  }

  // The schema version stays readable without the data key: it decides how to read the rest.
  const metaSub = sub('meta') as unknown as ClassicLevel<string, Uint8Array>
  const readVersion = async (): Promise<number> => {
    const bytes = await metaSub.get(SCHEMA_KEY)
    return bytes === undefined ? 0 : jsonValueCodec.decode('meta', SCHEMA_KEY, bytes) as number
  }
  const writeVersion = (version: number): Promise<void> => metaSub.put(SCHEMA_KEY, jsonValueCodec.encode('meta', SCHEMA_KEY, version))
  const sealPlainValues = async (): Promise<number> => {
    if (codec === jsonValueCodec) return 0
    let sealed = 0
    for (const name of COLLECTIONS) {
      const s = sub(name) as unknown as ClassicLevel<string, Uint8Array>
      // Schema 3's layout, whatever this build's: keys as written, values bound to them.
      const rewrite: Array<{ type: 'put'; sublevel: Sub; key: string; value: Uint8Array }> = []
      for await (const [key, bytes] of s.iterator()) {
        if (name === 'meta' && key === SCHEMA_KEY) continue
        try {
          codec.decode(name, key, bytes)
          continue
        } catch {
          rewrite.push({ type: 'put', sublevel: sub(name), key, value: codec.encode(name, key, jsonValueCodec.decode(name, key, bytes)) })
          sealed++
        }
      }
      if (rewrite.length > 0) await db.batch(rewrite as unknown as Array<{ type: 'del'; key: string }>)
    }
    return sealed
  }

  // Deleted entries stay in LevelDB's files until a compaction drops them: after keys move, the
  // old ones (ids and times in the clear) would otherwise sit on disk for a long while.
  const compact = (): Promise<void> => db.compactRange('\u0000', '\uffff')

  const found = await readVersion()
  if (found > target) {
    await db.close()
    throw new EnclaveError('store-too-new', `store schema ${found} is newer than this build understands (${target}); upgrade Enclave`)
  }
  try {
    for (const m of migrations) {
      if (m.version <= found) continue
      init.log.info('migrating store', { from: found, to: m.version, description: m.description })
      await m.up({ db, sealPlainValues, hideKeys: () => hideKeys({ sub: (name) => sub(name) as unknown as ClassicLevel<string, Uint8Array>, codec, keys: hidden, log: init.log }), compact })
      await writeVersion(m.version)
    }
  } catch (err) {
    // Released, so the next start (or a retry) can open the store and finish the migration.
    await db.close()
    throw err
  }

  return {
    collection,
    batch,
    schemaVersion: Math.max(found, target),
    rawPages: async function * (pageSize) {
      const it = db.iterator<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
      try {
        for (let page = await it.nextv(pageSize); page.length > 0; page = await it.nextv(pageSize)) yield page
      } finally {
        await it.close()
      }
    },
    close: () => db.close()
  }
}

export { CURRENT_SCHEMA_VERSION }
