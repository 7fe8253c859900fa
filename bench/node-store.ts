/**
 * A node's own store as `createCore` opens it: LevelDB at DATA/store, every value sealed with
 * the data key kept under the default key file DATA/store.key. The one place the benches depend
 * on the core's store layout, for what they must seed or read below the API.
 */
import { join } from 'node:path'
import { createLogger } from '../src/logger.js'
import { loadDataKey } from '../src/store/store-key.js'
import { openStore, type Store } from '../src/store/store.js'

/** The data key, unwrapped (scrypt, ~100 ms): kept apart so timings of `openNodeStore` leave it out. */
export async function nodeDataKey(dataDir: string): Promise<Uint8Array> {
  return loadDataKey(dataDir, { kind: 'key-file', path: join(dataDir, 'store.key') })
}

export async function openNodeStore(dataDir: string, dataKey: Uint8Array): Promise<Store> {
  return openStore({ path: join(dataDir, 'store'), log: createLogger('bench', { level: 'warn' }), dataKey })
}
