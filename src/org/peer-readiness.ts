import { peerIdFromString } from '@libp2p/peer-id'
import { peerIdOf } from '../ids.js'
import type { PeerIdString } from '../api/contract.js'
import type { CoreBus } from '../core-events.js'
import type { NetNode } from '../net/libp2p-node.js'
import type { PeerId } from '@libp2p/interface'

export interface PeerReadiness {
  /**
   * Membership with a connected peer was just settled (a sync with it ended): if the peer may
   * use Enclave here and was not ready on this connection yet, it is now.
   */
  settled(peer: PeerIdString): void
  stop(): void
}

export interface PeerReadinessComponents {
  node: NetNode
  bus: CoreBus
  allows: (peer: string) => boolean
  /** Is this device in any workspace? If not, there is no membership to settle and peers are ready at once. */
  inWorkspace: () => boolean
}

/**
 * Announces `peer:ready` once per connection: when this device is in no workspace, as soon as the
 * peer connects; otherwise after the first membership sync that finds the peer allowed. Both sides
 * know each other's standing by then, so what is delivered at `peer:ready` is not refused, and
 * work that follows a connection (delivery, catch-up, doc sync) runs once, not after every sync.
 */
export function createPeerReadiness({ node, bus, allows, inWorkspace }: PeerReadinessComponents): PeerReadiness {
  const ready = new Set<PeerIdString>()
  const isConnected = (peer: PeerIdString): boolean => node.getConnections(peerIdFromString(peer)).some((c) => c.status === 'open')

  const settled = (peer: PeerIdString): void => {
    if (ready.has(peer) || !isConnected(peer) || !allows(peer)) return
    ready.add(peer)
    bus.emit('peer:ready', peer)
  }
  const onConnect = (evt: CustomEvent<PeerId>): void => {
    if (!inWorkspace()) settled(peerIdOf(evt.detail))
  }
  const onDisconnect = (evt: CustomEvent<PeerId>): void => { ready.delete(peerIdOf(evt.detail)) }
  node.addEventListener('peer:connect', onConnect)
  node.addEventListener('peer:disconnect', onDisconnect)

  return {
    settled,
    stop: () => {
      node.removeEventListener('peer:connect', onConnect)
      node.removeEventListener('peer:disconnect', onDisconnect)
    }
  }
}
