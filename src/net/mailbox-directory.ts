import { parseDeviceText, peerIdOf } from '../ids.js'
import type { PeerIdString } from '../api/contract.js'
import type { CoreBus } from '../core-events.js'
import type { NetNode } from './libp2p-node.js'
import type { ProtocolHost } from './protocol-host.js'
import type { Collection } from '../store/store.js'
import type { PeerId } from '@libp2p/interface'

/**
 * A mailbox node announces this protocol (identify lists it); it serves nothing on it. Members
 * remember every mailbox they meet that is a member too, so they can deposit for offline colleagues later even
 * when the mailbox is not connected at that moment.
 */
export const MAILBOX_PROTOCOL = '/enclave/mailbox/1.0.0'

export interface MailboxDirectory {
  list(): PeerIdString[]
  stop(): void
}

export interface MailboxDirectoryComponents {
  node: NetNode
  protocols: ProtocolHost
  meta: Collection<string[]>
  bus: CoreBus
  /** This node is a mailbox itself (`--mailbox`): it announces the protocol. */
  isMailbox: boolean
  /** May this peer use Enclave here? Only such a mailbox is remembered: anyone can claim the protocol. */
  allows: (peer: string) => boolean
}

/** Mailboxes remembered at most; a workspace has a few. */
const MAX_MAILBOXES = 64

/**
 * Announces `mailbox:found` when a connected peer turns out to be a mailbox: a restarted mailbox
 * may be identified once before it announces the protocol, so "connected" alone is not the moment.
 */
export async function createMailboxDirectory({ node, protocols, meta, bus, isMailbox, allows }: MailboxDirectoryComponents): Promise<MailboxDirectory> {
  const known = new Set<PeerIdString>((await meta.get('mailboxes') ?? []).map(parseDeviceText))
  if (isMailbox) {
    await protocols.handleAnyone(MAILBOX_PROTOCOL, (stream) => { stream.abort(new Error('mailbox protocol carries no streams')) })
  }
  /** Peers that claimed the protocol before proving membership (identify runs first); bounded by `MAX_MAILBOXES`. */
  const claimed = new Set<PeerIdString>()
  const record = (peer: PeerIdString, has: boolean): void => {
    if (has === known.has(peer)) return
    if (has && known.size >= MAX_MAILBOXES) return
    if (has) known.add(peer)
    else known.delete(peer)
    void meta.put('mailboxes', [...known])
    if (has) bus.emit('mailbox:found', peer)
  }
  const onIdentify = (evt: CustomEvent<{ peerId: PeerId; protocols: string[] }>): void => {
    const peer = peerIdOf(evt.detail.peerId)
    const has = evt.detail.protocols.includes(MAILBOX_PROTOCOL)
    if (has && !allows(peer)) {
      claimed.delete(peer)
      if (claimed.size < MAX_MAILBOXES) claimed.add(peer)
      return
    }
    record(peer, has)
  }
  const offReady = bus.on('peer:ready', (peer) => {
    if (claimed.delete(peer) && allows(peer)) record(peer, true)
  })
  const onDisconnect = (evt: CustomEvent<PeerId>): void => { claimed.delete(peerIdOf(evt.detail)) }
  node.addEventListener('peer:identify', onIdentify)
  node.addEventListener('peer:disconnect', onDisconnect)
  return {
    list: () => [...known],
    stop: () => {
      offReady()
      node.removeEventListener('peer:identify', onIdentify)
      node.removeEventListener('peer:disconnect', onDisconnect)
    }
  }
}
