import { ClassicLevel } from 'classic-level'
import { EnclaveError } from '../errors.js'

/** Writes entries exactly as another store held them on disk (a backup being restored). */
export interface RawStoreWriter {
  put(page: Array<[Uint8Array, Uint8Array]>): Promise<void>
  /** Makes everything put so far durable (LevelDB syncs its log; its table files are synced as made). */
  sync(): Promise<void>
  close(): Promise<void>
}

/** A new LevelDB database at `path`, which must not exist yet: restoring never merges into a store. */
export async function createRawStore(path: string): Promise<RawStoreWriter> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: true, errorIfExists: true })
  try {
    await db.open()
  } catch (err) {
    throw new EnclaveError('store-error', `cannot make a store at ${path}`, { cause: err })
  }
  return {
    put: (page) => db.batch(page.map(([key, value]) => ({ type: 'put', key, value }))),
    sync: () => db.batch([], { sync: true }),
    close: () => db.close()
  }
}
