import { errorMessage } from '../errors.js'
import type { CoreBus } from '../core-events.js'
import type { Logger } from '../logger.js'
import type { NetNode } from '../net/libp2p-node.js'

export interface MemberRelayComponents {
  node: Pick<NetNode, 'services' | 'getConnections'>
  bus: CoreBus
  log: Logger
  /** The reservation policy (membership-access.ts `memberRelayPolicy`). */
  allows: (peer: string) => boolean
  /** Is `peer` still let in at all (a member of some shared workspace)? */
  isMember: (peer: string) => boolean
}

/**
 * Keeps member relaying to the workspace's word. libp2p checks the policy only when a
 * reservation is made; when an admin turns member relaying off, names a company relay (or this
 * device learns of one), or a colleague leaves, this device drops the reservations no longer allowed and closes the
 * connections that carried their circuits (the colleague reconnects directly if it can, and is
 * refused a new reservation).
 */
export function createMemberRelay({ node, bus, log, allows, isMember }: MemberRelayComponents): { start(): void; stop(): void } {
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
  return {
    start: () => {
      // The relay list takes a learned relay in its own listener: look once it has.
      const offs = [bus.on('membership:changed', enforce), bus.on('relays:learned', () => { setImmediate(enforce) })]
      off = () => { for (const o of offs) o() }
    },
    stop: () => { off?.() }
  }
}
