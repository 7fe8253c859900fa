import { peerIdOf } from '../ids.js'
import type { Emit, NetHealthView } from '../api/contract.js'
import type { CoreBus } from '../core-events.js'
import type { Logger } from '../logger.js'
import type { NetNode } from './libp2p-node.js'
import type { PeerBook } from './peer-book.js'
import type { RelayList } from './relay-list.js'
import type { RelayTraffic } from './relay-traffic.js'

/** How often a relay logs its figures. */
const RELAY_STATS_MS = 60_000
/** Changes within this long go out as one event: a burst of connections is one update, not fifty. */
const COALESCE_MS = 250
/** How often a serving relay looks at its byte counters, which move without any event. */
const TRAFFIC_MS = 2_000

export interface NetHealth {
  status(): NetHealthView
  start(): void
  stop(): void
}

export interface NetHealthComponents {
  node: NetNode
  peers: Pick<PeerBook, 'failures'>
  relays: Pick<RelayList, 'sources'>
  bus: CoreBus
  emit: Emit
  log: Logger
  /** Set when this node serves as a relay. */
  traffic?: RelayTraffic
}

/**
 * How this device's connections stand: addresses, relays used and served, circuits, recent
 * failures. Shells get `net.healthChanged` when any of it changes, instead of asking every few
 * seconds: connections opening and closing, this node's addresses (a reservation is an address),
 * a failed dial, and a relay's traffic.
 */
export function createNetHealth({ node, peers, relays, bus, emit, log, traffic }: NetHealthComponents): NetHealth {
  let statsTimer: NodeJS.Timeout | undefined
  let trafficTimer: NodeJS.Timeout | undefined
  let pending: NodeJS.Timeout | undefined
  let last = ''
  let offFailures: (() => void) | undefined

  const status = (): NetHealthView => {
    const addresses = node.getMultiaddrs().map((a) => a.toString())
    const connections = node.getConnections()
    return {
      addresses,
      // Every device may relay for colleagues (member relaying); only a relay node counts traffic.
      serving: traffic !== undefined,
      reservations: [...node.services.relay?.reservations.entries() ?? []].map(([peer, r]) => ({ peerId: peerIdOf(peer), expiresAt: r.expiry.getTime() })),
      circuits: traffic?.circuits() ?? 0,
      circuitsTotal: traffic?.circuitsTotal() ?? 0,
      bytesRelayed: traffic?.bytes() ?? 0,
      connections: connections.length,
      relayedConnections: connections.filter((c) => c.remoteAddr.toString().includes('/p2p-circuit')).length,
      // A reservation shows as an address of ours through that relay (by any of its addresses).
      relays: relays.sources().map(({ address, source }) => {
        const relayId = address.slice(address.lastIndexOf('/p2p/') + 5)
        return { address, source, reserved: addresses.some((a) => a.includes(`/p2p/${relayId}/p2p-circuit`)) }
      }),
      failures: peers.failures()
    }
  }

  const publish = (): void => {
    pending = undefined
    const now = status()
    const text = JSON.stringify(now)
    if (text === last) return
    last = text
    emit('net.healthChanged', now)
  }
  const changed = (): void => { pending ??= setTimeout(publish, COALESCE_MS).unref() }
  const events = ['connection:open', 'connection:close', 'self:peer:update'] as const

  return {
    status,
    start: () => {
      for (const e of events) node.addEventListener(e, changed)
      offFailures = bus.on('connection:failed', changed)
      if (traffic === undefined) return
      trafficTimer = setInterval(changed, TRAFFIC_MS).unref()
      // A relay runs for months: one line a minute says how it is doing, for whoever tails its log.
      statsTimer = setInterval(() => {
        const s = status()
        log.info('relay stats', { reservations: s.reservations.length, circuits: s.circuits, circuitsTotal: s.circuitsTotal, bytesRelayed: s.bytesRelayed, connections: s.connections })
      }, RELAY_STATS_MS).unref()
    },
    stop: () => {
      for (const e of events) node.removeEventListener(e, changed)
      offFailures?.()
      clearInterval(statsTimer)
      clearInterval(trafficTimer)
      clearTimeout(pending)
    }
  }
}
