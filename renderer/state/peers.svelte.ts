import { t } from '../i18n/i18n.svelte'
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

  /** The name a device told us; a neutral "Unknown device" until it has (never a piece of its id). */
  name(peerId: PeerIdString): string {
    const peer = this.byId.get(peerId)
    return peer === undefined ? t('people.unknownDevice') : displayName(peer)
  }
}

export function displayName(peer: PeerView): string {
  return peer.displayName ?? t('people.unknownDevice')
}

export const peers = new PeersState()
