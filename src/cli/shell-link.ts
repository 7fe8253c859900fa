import { randomBytes } from 'node:crypto'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The browser shell's port and token, kept with the node's data so the link it prints stays the
 * same from one start to the next: a tab left open reconnects by itself after a restart, and a
 * bookmark keeps working. Unlike api.json (removed when the node stops), this file stays.
 */
export interface ShellLink {
  port: number
  token: string
}

export const SHELL_LINK_FILE = 'serve.json'

const TOKEN = /^[0-9a-f]{64}$/

/** The link kept in `dataDir`, or null when there is none or it is damaged (a new one is made). */
export async function readShellLink(dataDir: string): Promise<ShellLink | null> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(join(dataDir, SHELL_LINK_FILE), 'utf8'))
  } catch {
    return null
  }
  if (typeof parsed !== 'object' || parsed === null) return null
  const { port, token } = parsed as Record<string, unknown>
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return null
  if (typeof token !== 'string' || !TOKEN.test(token)) return null
  return { port, token }
}

export async function writeShellLink(dataDir: string, link: ShellLink): Promise<void> {
  const path = join(dataDir, SHELL_LINK_FILE)
  // 0600 from the first byte: whoever holds the token may act as this device while it runs.
  await writeFile(path, JSON.stringify(link, null, 2) + '\n', { mode: 0o600 })
  await chmod(path, 0o600)
}

export function newShellToken(): string {
  return randomBytes(32).toString('hex')
}

/** The browser link: the token rides in the fragment, which browsers never send to a server or in a Referer. */
export function shellUrl(link: ShellLink): string {
  return `http://127.0.0.1:${link.port}/#token=${link.token}`
}
