import { withEntries } from './readonly-collections'
import { session } from './session.svelte'
import type { PeerIdString, PeerView } from '../../src/api/contract'

/** Everyone this device knows, with presence. Updated live from `peers.changed`. */
class PeersState {
  byId = $state.raw<ReadonlyMap<string, PeerView>>(new Map())
  /** Online first, then by name. */
  list = $derived([...this.byId.values()].sort((a, b) => Number(b.connected) - Number(a.connected) || displayName(a).localeCompare(displayName(b))))
  onlineCount = $derived([...this.byId.values()].filter((p) => p.connected).length)

  constructor() {
    session.onConnected((api) => {
      api.on('peers.changed', (peer) => { this.upsert(peer) })
      void api.call('peers.list', {}).then((list) => { this.byId = new Map(list.map((p) => [p.peerId, p])) })
    })
  }

  upsert(peer: PeerView): void {
    this.byId = withEntries(this.byId, [[peer.peerId, peer]])
  }

  async dial(address: string): Promise<PeerView> {
    const peer = await session.api.call('peers.dial', { address: address.trim() })
    this.upsert(peer)
    return peer
  }

  name(peerId: PeerIdString): string {
    const peer = this.byId.get(peerId)
    return peer === undefined ? shortId(peerId) : displayName(peer)
  }
}

/** The last characters of an id, for the rare place a person has no name yet. */
export function shortId(id: string): string {
  return `…${id.slice(-6)}`
}

export function displayName(peer: PeerView): string {
  return peer.displayName ?? shortId(peer.peerId)
}

export const peers = new PeersState()
