import { relayStatus } from './relay-status.js'
import type { RelayStatusView } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { NetNode } from './libp2p-node.js'
import type { PeerBook } from './peer-book.js'
import type { RelayList } from './relay-list.js'
import type { RelayTraffic } from './relay-traffic.js'

/** How often a relay logs its figures. */
const RELAY_STATS_MS = 60_000

export interface NetHealth {
  status(): RelayStatusView
  start(): void
  stop(): void
}

export interface NetHealthComponents {
  node: NetNode
  peers: Pick<PeerBook, 'failures'>
  relays: Pick<RelayList, 'all'>
  log: Logger
  /** Set when this node serves as a relay. */
  traffic?: RelayTraffic
}

/** How this device's connections stand: relays used and served, circuits, recent failures. */
export function createNetHealth({ node, peers, relays, log, traffic }: NetHealthComponents): NetHealth {
  let statsTimer: NodeJS.Timeout | undefined
  const status = (): RelayStatusView => ({ ...relayStatus(node, relays.all(), traffic), failures: peers.failures() })
  return {
    status,
    start: () => {
      if (traffic === undefined) return
      // A relay runs for months: one line a minute says how it is doing, for whoever tails its log.
      statsTimer = setInterval(() => {
        const s = status()
        log.info('relay stats', { reservations: s.reservations.length, circuits: s.circuits, circuitsTotal: s.circuitsTotal, bytesRelayed: s.bytesRelayed, connections: s.connections })
      }, RELAY_STATS_MS).unref()
    },
    stop: () => { clearInterval(statsTimer) }
  }
}
