import { createServer } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import type { Collection } from '../store/store.js'

interface StickyRecord {
  configured: string[]
  resolved: string[]
}

const KEY = 'listen'

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

/** Can this TCP port be bound now? */
async function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen(port, host, () => { server.close(() => { resolve(true) }) })
  })
}

function hostAndPort(addr: string): { host: string; port: number } | null {
  const parts = addr.split('/')
  const tcp = parts.indexOf('tcp')
  if (tcp < 0) return null
  const host = multiaddr(addr).getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value ?? '0.0.0.0'
  return { host, port: Number(parts[tcp + 1]) }
}

/** Gives every `/tcp/0` listen address a concrete free port. */
async function pinPorts(configured: string[]): Promise<string[]> {
  return Promise.all(configured.map(async (addr) => {
    const parts = addr.split('/')
    const tcp = parts.indexOf('tcp')
    if (tcp < 0 || parts[tcp + 1] !== '0') return addr
    const host = multiaddr(addr).getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value ?? '0.0.0.0'
    parts[tcp + 1] = String(await freePort(host))
    return parts.join('/')
  }))
}

/**
 * Listen addresses that stay the same across restarts. Peers remember where they last saw a
 * device; if it came back on a new random port, two devices that both restarted could never
 * find each other again without mDNS. A port asked for as 0 is chosen once and then kept for
 * as long as the configuration stays the same.
 */
export interface StickyListen {
  /** The addresses to listen on this run. */
  current(): Promise<string[]>
}

export function createStickyListen(configured: string[], meta: Collection<StickyRecord>): StickyListen {
  const renew = async (): Promise<string[]> => {
    const resolved = await pinPorts(configured)
    await meta.put(KEY, { configured, resolved })
    return resolved
  }
  /** Ports this device chose itself and someone else took meanwhile: new ones are chosen. */
  const stillFree = async (resolved: string[]): Promise<boolean> => {
    const chosen = resolved.filter((addr, i) => configured[i] !== addr).flatMap((addr) => {
      const hp = hostAndPort(addr)
      return hp === null || hp.port === 0 ? [] : [hp]
    })
    const free = await Promise.all(chosen.map((hp) => portFree(hp.host, hp.port)))
    return free.every(Boolean)
  }
  return {
    current: async () => {
      const record = await meta.get(KEY)
      if (record !== undefined && JSON.stringify(record.configured) === JSON.stringify(configured) && await stillFree(record.resolved)) return record.resolved
      return renew()
    }
  }
}
