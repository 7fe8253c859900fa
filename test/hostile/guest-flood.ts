/**
 * A guest's flood, shared by the hostile test and `bench:hostile`: envelopes in a member's name
 * (signed by the guest, so no one's), the guest's own envelopes of near 1 MiB garbage where MLS
 * belongs, and chat streams declaring 64 MiB frames.
 */
import { CHAT_PROTOCOL } from '../../src/chat/chat-frames.js'
import { MAX_MLS_BYTES } from '../../src/crypto/mls-group.js'
import { flood } from '../helpers/flood.js'
import { garbageEnvelope, type Attacker } from './attacker.js'
import type { PeerIdString } from '../../src/api/contract.js'
import type { NodeProcess } from '../helpers/node-process.js'

const KiB = 1024
const MiB = 1024 * KiB

export interface GuestFloodInit {
  /** Envelopes in `impersonated`'s name, in its DM with the victim. @default 128 of 128 KiB */
  forged?: number
  forgedBytes?: number
  /** The guest's own envelopes, in its DM with the victim. @default 24 of ~1 MiB */
  own?: number
  /** Streams declaring a frame above the limit. @default 16 */
  oversized?: number
}

/** Runs one flood from `guest` at the victim; resolves once everything was written or refused. */
export async function guestFlood(guest: Attacker, victim: Pick<NodeProcess, 'peerId' | 'address' | 'api'>, impersonated: PeerIdString, firstSeq: number, init: GuestFloodInit = {}): Promise<void> {
  const { forged = 128, forgedBytes = 128 * KiB, own = 24, oversized = 16 } = init
  // The DMs' ids as the victim knows them (a DM is between two people of the workspace).
  const theirs = (await victim.api.call('conversations.open', { peerId: impersonated })).id
  const mine = (await victim.api.call('conversations.open', { peerId: guest.peerId })).id
  const forgeries = Array.from({ length: forged }, (_, i) => guest.sign(garbageEnvelope(theirs, impersonated, firstSeq + i, forgedBytes)))
  const owned = Array.from({ length: own }, (_, i) => guest.sign(garbageEnvelope(mine, guest.peerId, firstSeq + i, MAX_MLS_BYTES - KiB)))
  const quietly = async (p: Promise<unknown>): Promise<void> => { await p.then(() => undefined, () => undefined) }
  await Promise.all([
    quietly(guest.push(victim.address, forgeries)),
    quietly(guest.push(victim.address, owned)),
    flood(guest.node, victim.address, [[CHAT_PROTOCOL, oversized, 64 * MiB, MiB]])
  ])
}
