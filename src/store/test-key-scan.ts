/**
 * For tests of what a stolen disk shows: every key on disk, read with LevelDB itself rather
 * than the store, and what in them names someone or something. Nothing here is used by the core.
 */
import { ClassicLevel } from 'classic-level'

export async function keysOnDisk(path: string): Promise<string[]> {
  const db = new ClassicLevel<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  const keys: string[] = []
  try {
    for await (const key of db.keys()) keys.push(key)
  } finally {
    await db.close()
  }
  return keys
}

const YEAR_MS = 365 * 24 * 3600_000

/**
 * Findings in `keys`: any of `ids` in the clear, and any run of 13 digits (milliseconds) or 16
 * (hybrid clock ticks) that reads as a time within two years of `aroundMs`.
 */
export function namedInKeys(keys: string[], ids: string[], aroundMs: number): string[] {
  const found: string[] = []
  for (const key of keys) {
    for (const id of ids) if (key.includes(id)) found.push(`${id} in ${key}`)
    // A hidden key's hash (32 or more hex digits with a letter among them) is random: a run of
    // 13 of its digits reads as a time now and then (one store in twenty), and is none.
    const clear = key.replace(/[0-9a-f]{32,}/g, (hex) => (/[a-f]/.test(hex) ? '-' : hex))
    for (const run of clear.match(/\d{13,}/g) ?? []) {
      for (const [digits, perMs] of [[13, 1], [16, 1000]] as const) {
        for (let i = 0; i + digits <= run.length; i++) {
          const ms = Number(run.slice(i, i + digits)) / perMs
          if (Math.abs(ms - aroundMs) < 2 * YEAR_MS) found.push(`a time (${run.slice(i, i + digits)}) in ${key}`)
        }
      }
    }
  }
  return found
}
