import type { PeerIdString, RelayStatusView } from '../api/contract.js'
import type { NetNode } from './libp2p-node.js'
import type { RelayTraffic } from './relay-traffic.js'

/** What `enclave relay status` shows: reservations served here, connections, relays used. */
export function relayStatus(node: NetNode, relays: string[], traffic: RelayTraffic | undefined): Omit<RelayStatusView, 'failures'> {
  const reservations = [...node.services.relay?.reservations.entries() ?? []]
    .map(([peer, r]) => ({ peerId: peer.toString() as PeerIdString, expiresAt: r.expiry.getTime() }))
  const connections = node.getConnections()
  const own = node.getMultiaddrs().map((a) => a.toString())
  return {
    serving: node.services.relay !== undefined,
    reservations,
    circuits: traffic?.circuits() ?? 0,
    circuitsTotal: traffic?.circuitsTotal() ?? 0,
    bytesRelayed: traffic?.bytes() ?? 0,
    connections: connections.length,
    relayedConnections: connections.filter((c) => c.remoteAddr.toString().includes('/p2p-circuit')).length,
    // A reservation shows as an address of ours through that relay (by any of its addresses).
    relays: relays.map((address) => {
      const relayId = address.slice(address.lastIndexOf('/p2p/') + 5)
      return { address, reserved: own.some((a) => a.includes(`/p2p/${relayId}/p2p-circuit`)) }
    })
  }
}
