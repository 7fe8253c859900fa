import { t } from '../i18n/i18n.svelte'
import { withEntries } from './readonly-collections'
import { session } from './session.svelte'
import type { NetHealthView, PeerIdString, PeerView } from '../../src/api/contract'

/** The device id at the end of a relay's address. */
function relayIdOf(address: string): string {
  return address.slice(address.lastIndexOf('/p2p/') + 5)
}

/** Everyone this device knows, with presence. Updated live from `peers.changed`. */
class PeersState {
  byId = $state.raw<ReadonlyMap<string, PeerView>>(new Map())
  /** This device's relays and whether it holds a reservation on each (`net.healthChanged`). */
  relays = $state.raw<NetHealthView['relays']>([])
  /** Relays are infrastructure, not people: they are counted and listed apart. */
  private relayIds = $derived(new Set(this.relays.map((r) => relayIdOf(r.address))))
  /** People (relays left out): online first, then by name. */
  list = $derived([...this.byId.values()]
    .filter((p) => !this.relayIds.has(p.peerId))
    .sort((a, b) => Number(b.connected) - Number(a.connected) || displayName(a).localeCompare(displayName(b))))
  /** People this device reaches now, by any path. */
  onlineCount = $derived(this.list.filter((p) => p.connected).length)

  constructor() {
    session.onConnected((api) => {
      api.on('peers.changed', (peer) => { this.upsert(peer) })
      api.on('net.healthChanged', (health) => { this.relays = health.relays })
      void api.call('peers.list', {}).then((list) => { this.byId = new Map(list.map((p) => [p.peerId, p])) })
      void api.call('net.health', {}).then((health) => { this.relays = health.relays }, () => undefined)
    })
  }

  upsert(peer: PeerView): void {
    this.byId = withEntries(this.byId, [[peer.peerId, peer]])
  }

  /** Is this device one of this device's relays (the company relay)? */
  isRelay(peerId: PeerIdString): boolean {
    return this.relayIds.has(peerId)
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
