import { createServer } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import type { Collection } from '../store/store.js'

interface StickyRecord {
  configured: string[]
  resolved: string[]
}

const KEY = 'listen'

/** Can this TCP port be bound now? */
async function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen(port, host, () => { server.close(() => { resolve(true) }) })
  })
}

interface Shape {
  family: string
  host: string
  port: number
  /** What follows the port (`/ws`, or nothing): tells a TCP listener from a WebSocket one. */
  rest: string
}

function shapeOf(addr: string): Shape | null {
  const parts = addr.split('/')
  const tcp = parts.indexOf('tcp')
  if (tcp < 2) return null
  const ip = multiaddr(addr).getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')
  if (ip === undefined) return null
  return { family: ip.name, host: ip.value ?? '', port: Number(parts[tcp + 1]), rest: parts.slice(tcp + 2).filter((p) => p !== '').join('/').replace(/\/?p2p\/.*$/, '') }
}

const ANY_HOST = new Set(['0.0.0.0', '::'])

/**
 * The port a `/tcp/0` listen address got: the bound address of the same family and transport
 * (a wildcard host is listed once per interface, all on one port).
 */
function boundPort(configured: Shape, bound: string[], fixed: Set<number>): number | undefined {
  for (const addr of bound) {
    if (addr.includes('/p2p-circuit')) continue
    const b = shapeOf(addr)
    if (b === null || b.family !== configured.family || b.rest !== configured.rest || b.port === 0 || fixed.has(b.port)) continue
    if (!ANY_HOST.has(configured.host) && b.host !== configured.host) continue
    return b.port
  }
  return undefined
}

/**
 * Listen addresses that stay the same across restarts. Peers remember where they last saw a
 * device; if it came back on a new random port, two devices that both restarted could never
 * find each other again without mDNS. A port asked for as 0 is left to the OS on the first run
 * (`remember` then keeps what was bound) and asked for again on the next runs, for as long as the
 * configuration stays the same.
 *
 * Not chosen ahead by binding a free port and closing it: another process (any outgoing
 * connection takes a port from the same range) could take it before libp2p listened, and the
 * node failed to start with EADDRINUSE (seen in the channels peer test on a busy machine).
 */
export interface StickyListen {
  /** The addresses to listen on this run. */
  current(): Promise<string[]>
  /** After listening: keeps the ports the OS chose, for the next run. */
  remember(bound: string[]): Promise<void>
}

export function createStickyListen(configured: string[], meta: Collection<StickyRecord>): StickyListen {
  /** Ports kept from an earlier run that someone else holds now: the OS chooses again. */
  const stillFree = async (resolved: string[]): Promise<boolean> => {
    const chosen = resolved.filter((addr, i) => configured[i] !== addr).flatMap((addr) => {
      const s = shapeOf(addr)
      return s === null || s.port === 0 ? [] : [s]
    })
    const free = await Promise.all(chosen.map((s) => portFree(s.host, s.port)))
    return free.every(Boolean)
  }
  const sameConfig = (record: StickyRecord): boolean => JSON.stringify(record.configured) === JSON.stringify(configured)
  return {
    current: async () => {
      const record = await meta.get(KEY)
      if (record !== undefined && sameConfig(record) && await stillFree(record.resolved)) return record.resolved
      return configured
    },
    remember: async (bound) => {
      // A port configured outright is that listener's, never the one a wildcard got.
      const fixed = new Set(configured.flatMap((addr) => { const port = shapeOf(addr)?.port ?? 0; return port === 0 ? [] : [port] }))
      const resolved = configured.map((addr) => {
        const s = shapeOf(addr)
        if (s === null || s.port !== 0) return addr
        const port = boundPort(s, bound, fixed)
        return port === undefined ? addr : addr.replace(/\/tcp\/0(?=\/|$)/, `/tcp/${port}`)
      })
      const record = await meta.get(KEY)
      if (record !== undefined && sameConfig(record) && JSON.stringify(record.resolved) === JSON.stringify(resolved)) return
      await meta.put(KEY, { configured, resolved })
    }
  }
}
