import { readdir, rename, rm, rmdir } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Puts a restored data folder (`staged`, beside it) in place of a device's that had nothing yet:
 * its store and file chunks go, and whatever the restore made takes their place. The files of
 * the running shell (its API endpoint and link) stay. Only a stopped core's folder is swapped.
 */
export async function moveRestoredInto(dataDir: string, staged: string): Promise<void> {
  for (const name of ['store', 'blobs']) await rm(join(dataDir, name), { recursive: true, force: true })
  for (const name of await readdir(staged)) {
    await rm(join(dataDir, name), { recursive: true, force: true })
    await rename(join(staged, name), join(dataDir, name))
  }
  await rmdir(staged)
}
