import { chmod, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { EnclaveError } from '../errors.js'
import { CURRENT_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js'
import { jsonValueCodec, type ValueCodec } from './value-codec.js'
import type { Logger } from '../logger.js'

/** Every sublevel the core uses; the name is also the key prefix on disk. */
export const COLLECTIONS = ['meta', 'peers', 'conversations', 'messages', 'messageIndex', 'outbox', 'workspaces', 'membershipOps', 'ciphertexts', 'mlsInbox', 'mlsGroups', 'mlsKeyPackages', 'mlsDeposits', 'docs', 'docUpdates', 'avatars', 'sealedValues', 'mailboxDeposits', 'routes'] as const
export type CollectionName = (typeof COLLECTIONS)[number]

export interface RangeOptions {
  gt?: string
  gte?: string
  lt?: string
  lte?: string
  reverse?: boolean
  limit?: number
}

export interface Collection<T> {
  readonly name: CollectionName
  get(key: string): Promise<T | undefined>
  getMany(keys: string[]): Promise<Array<T | undefined>>
  put(key: string, value: T): Promise<void>
  del(key: string): Promise<void>
  entries(range?: RangeOptions): AsyncGenerator<[string, T]>
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
  close(): Promise<void>
}

export interface StoreInit {
  /** Folder of the LevelDB database. */
  path: string
  log: Logger
  codec?: ValueCodec
  /** Overridable for tests of the migration runner. */
  migrations?: readonly Migration[]
}

type Db = ClassicLevel<string, Uint8Array>
type Sub = ReturnType<Db['sublevel']>

const SCHEMA_KEY = 'schemaVersion'

export async function openStore(init: StoreInit): Promise<Store> {
  const codec = init.codec ?? jsonValueCodec
  const migrations = [...(init.migrations ?? MIGRATIONS)].sort((a, b) => a.version - b.version)
  const target = migrations.at(-1)?.version ?? 0
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


  const collection = <T>(name: CollectionName): Collection<T> => {
    const s = sub(name) as unknown as ClassicLevel<string, Uint8Array>
    return {
      name,
      get: async (key) => {
        const bytes = await s.get(key)
        return bytes === undefined ? undefined : codec.decode(name, key, bytes) as T
      },
      getMany: async (keys) => {
        const values = await s.getMany(keys)
        return values.map((bytes, i) => (bytes === undefined ? undefined : codec.decode(name, keys[i] ?? '', bytes) as T))
      },
      put: (key, value) => s.put(key, codec.encode(name, key, value)),
      del: (key) => s.del(key),
      entries: async function * (range = {}) {
        for await (const [key, bytes] of s.iterator({ ...range, limit: range.limit ?? -1 })) {
          yield [key, codec.decode(name, key, bytes) as T]
        }
      }
    }
  }

  const batch = (): StoreBatch => {
    const ops: Array<{ type: 'put'; sublevel: Sub; key: string; value: Uint8Array } | { type: 'del'; sublevel: Sub; key: string }> = []
    const written: Array<() => void> = []
    const b: StoreBatch = {
      put: (c, key, value) => {
        ops.push({ type: 'put', sublevel: sub(c.name), key, value: codec.encode(c.name, key, value) })
        return b
      },
      del: (c, key) => {
        ops.push({ type: 'del', sublevel: sub(c.name), key })
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
      const rewrite = batch()
      for await (const [key, bytes] of s.iterator()) {
        if (name === 'meta' && key === SCHEMA_KEY) continue
        try {
          codec.decode(name, key, bytes)
          continue
        } catch {
          rewrite.put(collection(name), key, jsonValueCodec.decode(name, key, bytes))
          sealed++
        }
      }
      await rewrite.write()
    }
    return sealed
  }

  const found = await readVersion()
  if (found > target) {
    await db.close()
    throw new EnclaveError('store-too-new', `store schema ${found} is newer than this build understands (${target}); upgrade Enclave`)
  }
  for (const m of migrations) {
    if (m.version <= found) continue
    init.log.info('migrating store', { from: found, to: m.version, description: m.description })
    await m.up({ db, sealPlainValues })
    await writeVersion(m.version)
  }

  return {
    collection,
    batch,
    schemaVersion: Math.max(found, target),
    close: () => db.close()
  }
}

export { CURRENT_SCHEMA_VERSION }
