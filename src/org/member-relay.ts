import { peerIdFromString } from '@libp2p/peer-id'
import { RELAY_V2_HOP_CODEC } from '@libp2p/circuit-relay-v2'
import { errorMessage } from '../errors.js'
import { relayReservations, type NetNode } from '../net/libp2p-node.js'
import type { CoreBus } from '../core-events.js'
import type { Logger } from '../logger.js'
import type { IdentifyResult, PeerId } from '@libp2p/interface'

/** How long a colleague's identify is waited for before it counts as offering no relaying. */
const IDENTIFY_WAIT_MS = 15_000
/** Waits before asking a colleague that refused a reservation again; then it stays refused. */
const RESERVE_RETRY_MS = [1_000, 3_000, 10_000, 30_000]

export interface MemberRelayComponents {
  node: NetNode
  bus: CoreBus
  log: Logger
  /** The reservation policy (membership-access.ts `memberRelayPolicy`). */
  allows: (peer: string) => boolean
  /** Is `peer` still let in at all (a member of some shared workspace)? */
  isMember: (peer: string) => boolean
  /** Does this device know a company relay (then it neither relays for colleagues nor reserves on them)? */
  usesRelay: () => boolean
}

/**
 * Keeps member relaying to the workspace's word, on both sides.
 * - As the relaying device: libp2p checks the policy only when a reservation is made; when an
 *   admin turns member relaying off, names a company relay (or this device learns of one), or a
 *   colleague leaves, this device drops the reservations no longer allowed and closes the
 *   connections that carried their circuits (the colleague reconnects directly if it can, and is
 *   refused a new reservation).
 * - As the device that needs a path: libp2p asks a relay for a reservation once, when it first
 *   connects. A device joining a workspace connects to its inviter before it is a member, and is
 *   refused; so once a colleague is ready (membership proven both ways) and offers relaying, it is
 *   asked again. libp2p keeps the reservation only while a slot is free.
 */
export function createMemberRelay({ node, bus, log, allows, isMember, usesRelay }: MemberRelayComponents): { start(): void; stop(): void } {
  let off: (() => void) | undefined
  const enforce = (): void => {
    const relay = node.services.relay
    if (relay === undefined) return
    for (const [peer] of [...relay.reservations.entries()]) {
      if (allows(peer.toString())) continue
      relay.reservations.delete(peer)
      log.info('stopped relaying for a device', { peer: peer.toString(), code: 'not-member' })
      // A device no longer a member at all is told of its removal before the gate closes its
      // connections (workspace gating): closing them here would cut that message off.
      if (!isMember(peer.toString())) continue
      for (const c of node.getConnections(peer)) c.close().catch((err: unknown) => { log.debug('could not close a relayed connection', { peer: peer.toString(), error: errorMessage(err) }) })
    }
  }
  /**
   * Does `peer`'s device offer relaying? Membership is proven on a connection's first streams,
   * beside identify: seen here, `peer:ready` came before identify had told libp2p the
   * colleague's protocols, and the colleague was never asked. So an unknown answer is waited for.
   */
  const offersRelay = async (id: PeerId): Promise<boolean> => {
    const identified = new Promise<string[]>((resolve) => {
      const done = (protocols: string[]): void => {
        clearTimeout(timer)
        node.removeEventListener('peer:identify', onIdentify)
        resolve(protocols)
      }
      const onIdentify = (evt: CustomEvent<IdentifyResult>): void => { if (evt.detail.peerId.equals(id)) done(evt.detail.protocols) }
      const timer = setTimeout(() => { done([]) }, IDENTIFY_WAIT_MS)
      node.addEventListener('peer:identify', onIdentify)
      // Already identified: the stored answer stands (and the wait ends at once).
      node.peerStore.get(id).then((known) => { if (known.protocols.length > 0) done(known.protocols) }, () => undefined)
    })
    return (await identified).includes(RELAY_V2_HOP_CODEC)
  }
  const retries = new Set<NodeJS.Timeout>()
  let stopped = false
  const askColleague = async (peer: string, attempt = 0): Promise<void> => {
    const reservations = relayReservations(node)
    if (stopped || reservations === undefined || usesRelay()) return
    const id = peerIdFromString(peer)
    if (reservations.hasReservation(id) || node.getConnections(id).length === 0 || !await offersRelay(id)) return
    try {
      await reservations.reserve(id)
    } catch (err) {
      // Asked the moment this device joined, the colleague may still refuse: its log did not
      // name this device yet, or libp2p answered with its own reservation attempt from before
      // the join (seen: the one reservation a joiner needed, never asked for again). Ask again.
      const delay = RESERVE_RETRY_MS[attempt]
      if (delay === undefined || !errorMessage(err).includes('PERMISSION_DENIED')) throw err
      log.debug('a colleague refused a reservation; asking again soon', { peer, delayMs: delay })
      const timer = setTimeout(() => {
        retries.delete(timer)
        if (isMember(peer)) askColleague(peer, attempt + 1).catch((e: unknown) => { log.debug('no reservation on a colleague\'s device', { peer, error: errorMessage(e) }) })
      }, delay)
      timer.unref()
      retries.add(timer)
      return
    }
    log.debug('reserved on a colleague\'s device', { peer })
  }
  return {
    start: () => {
      // The relay list takes a learned relay in its own listener: look once it has.
      const offs = [
        bus.on('membership:changed', enforce),
        bus.on('relays:learned', () => { setImmediate(enforce) }),
        bus.on('peer:ready', (peer) => {
          // Refused (policy, no free slot) is ordinary: the colleague may not relay, or one already does.
          askColleague(peer).catch((err: unknown) => { log.debug('no reservation on a colleague\'s device', { peer, error: errorMessage(err) }) })
        })
      ]
      off = () => { for (const o of offs) o() }
    },
    stop: () => {
      stopped = true
      off?.()
      for (const timer of retries) clearTimeout(timer)
    }
  }
}
