import type { NetHealthView, PeerView } from '../../src/api/contract'

/**
 * How this device reaches a person, in the terms Settings uses with people (never an address):
 * - `direct`: directly, on this network (or another direct route);
 * - `relay`: through the company relay;
 * - `colleague`: through a colleague's device (`via` names it);
 * - `noRelay`: not reachable: not on this network, and there is no company relay to go through;
 * - `relayDown`: not reachable: the company relay is set up but cannot be reached now;
 * - `offline`: not reachable although the relay is there: their device is off or offline.
 */
export type Reach =
  | { kind: 'direct' }
  | { kind: 'relay' }
  | { kind: 'colleague'; via: PeerView }
  | { kind: 'noRelay' | 'relayDown' | 'offline'; lastSeen: number | null }

/** This device's own standing: is there a company relay, and does it hold a reservation there? */
export type RelayStanding = 'serving' | 'none' | 'down' | 'up'

export function relayStanding(health: NetHealthView): RelayStanding {
  if (health.serving) return 'serving'
  if (health.relays.length === 0) return 'none'
  return health.relays.some((r) => r.reserved) ? 'up' : 'down'
}

export function reachOf(peer: PeerView, standing: RelayStanding, relayIds: ReadonlySet<string>, known: (id: string) => PeerView | undefined): Reach {
  if (peer.connected) {
    if (peer.path !== 'relayed' || peer.via === null || relayIds.has(peer.via)) return { kind: peer.path === 'relayed' ? 'relay' : 'direct' }
    const colleague = known(peer.via)
    return colleague?.displayName === null || colleague === undefined ? { kind: 'relay' } : { kind: 'colleague', via: colleague }
  }
  const kind = standing === 'none' ? 'noRelay' : standing === 'down' ? 'relayDown' : 'offline'
  return { kind, lastSeen: peer.lastSeen }
}
