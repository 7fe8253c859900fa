import type { Logger } from '../logger.js'
import type { NetNode } from '../net/libp2p-node.js'
import type { PeerId } from '@libp2p/interface'

export interface UnprovenGraceComponents {
  node: Pick<NetNode, 'addEventListener' | 'removeEventListener' | 'hangUp'>
  log: Logger
  allows: (peer: string) => boolean
  /** Peers kept connected although they are no members: relays, and devices invited a moment ago. */
  keeps: (peer: string) => boolean
  /** Takes over a peer whose grace ran out unproven (a removed device is told first); by default it is disconnected. */
  onExpired?: (peer: PeerId) => void
}

export interface UnprovenGraceInit {
  /** How long a connected peer that is no member may stay once it began redeeming an invite. @default 10 s */
  graceMs?: number
  /** How long any other connected peer that is no member may stay to prove membership. @default 5 s */
  strangerGraceMs?: number
}

export interface UnprovenGrace {
  /** Is `peer` connected and still within its grace? */
  has(peer: string): boolean
  /** A joiner opened the join protocol: it gets the longer grace, once. */
  extend(peer: PeerId): void
  /** Ends `peer`'s grace now: what happens to it is the caller's decision. */
  end(peer: string): void
  stop(): void
}

/**
 * Connected peers that are no members (while this device is in a workspace) get a moment to
 * prove membership or redeem an invite; then they are disconnected. A stranger's connection is
 * what it costs this device, so the moment is short unless the peer is joining.
 */
export function createUnprovenGrace({ node, log, allows, keeps, onExpired }: UnprovenGraceComponents, init: UnprovenGraceInit = {}): UnprovenGrace {
  const graceMs = init.graceMs ?? 10_000
  const strangerGraceMs = init.strangerGraceMs ?? 5_000
  const timers = new Map<string, NodeJS.Timeout>()
  const extended = new Set<string>()

  /** Closes the connection of a peer that is still no member after `ms`. */
  const start = (peerId: PeerId, ms: number): void => {
    const peer = peerId.toString()
    clearTimeout(timers.get(peer))
    timers.set(peer, setTimeout(() => {
      timers.delete(peer)
      if (allows(peer) || keeps(peer)) return
      if (onExpired !== undefined) onExpired(peerId)
      else {
        log.info('closing connection of a peer that did not prove membership', { peer, code: 'not-member' })
        void node.hangUp(peerId).catch(() => undefined)
      }
    }, ms).unref())
  }
  const onConnect = (evt: CustomEvent<PeerId>): void => {
    const peer = evt.detail.toString()
    if (allows(peer) || timers.has(peer)) return
    start(evt.detail, strangerGraceMs)
  }
  const onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const peer = evt.detail.toString()
    clearTimeout(timers.get(peer))
    timers.delete(peer)
    extended.delete(peer)
  }
  node.addEventListener('peer:connect', onConnect)
  node.addEventListener('peer:disconnect', onDisconnect)

  return {
    has: (peer) => timers.has(peer),
    extend: (peerId) => {
      const peer = peerId.toString()
      if (!timers.has(peer) || extended.has(peer)) return
      extended.add(peer)
      start(peerId, graceMs)
    },
    end: (peer) => {
      clearTimeout(timers.get(peer))
      timers.delete(peer)
    },
    stop: () => {
      for (const t of timers.values()) clearTimeout(t)
      timers.clear()
      node.removeEventListener('peer:connect', onConnect)
      node.removeEventListener('peer:disconnect', onDisconnect)
    }
  }
}
