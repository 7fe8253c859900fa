import { randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'

/** Every file under `dir`, at any depth: what a test searches for bytes that must not be kept. */
export async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name)
    if (e.isDirectory()) out.push(...await allFiles(path))
    else out.push(path)
  }
  return out
}

/** Random bytes with `canary` written every 64 KiB, so any stored plaintext would show it. */
export function canaryFile(size: number, canary: Buffer): Buffer {
  const data = randomBytes(size)
  for (let at = 0; at + canary.byteLength < size; at += 64 * 1024) canary.copy(data, at)
  return data
}
