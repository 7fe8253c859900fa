import { readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { EnclaveError } from '../errors.js'

/** Most files one `send-file` shares, folders opened (as many as a drop in the app). */
export const MAX_SHARED_FILES = 500

/**
 * The files `send-file` shares for the paths it was given: a file as it is, a folder as every
 * file inside it at any depth, in name order, hidden entries (".git", ".DS_Store") and symbolic
 * links left out. Refuses past MAX_SHARED_FILES rather than sharing part of a folder.
 */
export async function filesToShare(paths: readonly string[]): Promise<string[]> {
  const out: string[] = []
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))
    for (const e of entries) {
      if (e.name.startsWith('.')) continue
      if (e.isDirectory()) await walk(join(dir, e.name))
      else if (e.isFile()) add(join(dir, e.name))
    }
  }
  const add = (path: string): void => {
    out.push(path)
    if (out.length > MAX_SHARED_FILES) throw new EnclaveError('too-large', `send-file shares at most ${MAX_SHARED_FILES} files at once`)
  }
  for (const given of paths) {
    const path = resolve(given)
    const info = await stat(path).catch((err: unknown) => { throw new EnclaveError('not-found', `cannot read ${given}: ${(err as Error).message}`) })
    if (info.isDirectory()) await walk(path)
    else add(path)
  }
  return out
}
