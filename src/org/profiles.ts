import { decode as cborDecode, encode as cborEncode } from 'cborg'
import { peerIdFromString } from '@libp2p/peer-id'
import { z } from 'zod'
import { EnclaveError, errorMessage } from '../errors.js'
import { MAX_DISPLAY_NAME, textLength } from '../limits.js'
import { concatFrames, readFrameBatches } from '../net/frame-reader.js'
import * as varint from 'uint8-varint'
import { peerIdOf } from '../ids.js'
import type { ChosenPresence, Emit, PeerIdString, ProfileView, QuietHours } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { NetNode } from '../net/libp2p-node.js'
import type { PeerBook } from '../net/peer-book.js'
import type { ProtocolHost } from '../net/protocol-host.js'
import type { Collection } from '../store/store.js'
import type { Connection, PeerId, Stream } from '@libp2p/interface'

/** Exchange of display names: each side sends its profile once per connection and on change. */
export const PROFILE_PROTOCOL = '/enclave/profile/1.0.0'
const MAX_PROFILE_FRAME = 1024

const PRESENCE = z.enum(['online', 'away', 'dnd'])
/** `presence` is optional so devices of the first release, which do not send it, still read as online. */
const profileFrame = z.object({ v: z.literal(1), name: z.string().min(1).max(MAX_DISPLAY_NAME), presence: PRESENCE.optional() }).strict()

export interface ProfilesComponents {
  node: NetNode
  protocols: ProtocolHost
  peers: PeerBook
  meta: Collection<{ displayName: string | null; presence?: ChosenPresence; quietHours?: QuietHours | null }>
  emit: Emit
  log: Logger
  /** Whether a peer may use Enclave's protocols (workspace membership). */
  allows(peer: string): boolean
}

export interface Profiles {
  get(): ProfileView
  set(change: { displayName?: string; presence?: ChosenPresence; quietHours?: QuietHours | null }): Promise<ProfileView>
  stop(): void
}

/** Trims and checks a display name typed by a user or sent by a peer. */
export function normaliseDisplayName(raw: string): string {
  const name = raw.normalize('NFC').replace(/\s+/g, ' ').trim()
  if (name.length === 0) throw new EnclaveError('bad-request', 'display name is empty')
  if (textLength(name) > MAX_DISPLAY_NAME) throw new EnclaveError('too-large', `display name longer than ${MAX_DISPLAY_NAME} characters`)
  return name
}

function frame(name: string, presence: ChosenPresence): Uint8Array {
  const body = cborEncode({ v: 1, name, presence })
  return concatFrames([varint.encode(body.byteLength), body])
}

/** Reads a peer's profile frame body; every failure is coded (`bad-frame`, or the name's own code). */
export function decodeProfile(body: Uint8Array): { name: string; presence: ChosenPresence } {
  let raw: unknown
  try { raw = cborDecode(body) } catch (err) { throw new EnclaveError('bad-frame', 'profile is not valid CBOR', { cause: err }) }
  const parsed = profileFrame.safeParse(raw)
  if (!parsed.success) throw new EnclaveError('bad-frame', 'malformed profile')
  return { name: normaliseDisplayName(parsed.data.name), presence: parsed.data.presence ?? 'online' }
}

async function readProfile(stream: Stream): Promise<{ name: string; presence: ChosenPresence }> {
  for await (const batch of readFrameBatches(stream, { maxFrameBytes: MAX_PROFILE_FRAME })) {
    const body = batch[0]
    if (body === undefined) continue
    return decodeProfile(body)
  }
  throw new EnclaveError('bad-frame', 'profile stream ended without a profile')
}

/**
 * This device's display name, and the names of the peers it meets. The opener of a profile
 * stream sends its own profile first; the other side answers with its own. Nothing here is
 * trusted beyond "this PeerId calls itself so": workspaces (a later issue) sign profiles.
 */
export async function createProfiles(components: ProfilesComponents): Promise<Profiles> {
  const { node, peers, meta, emit, log } = components
  const self = peerIdOf(node.peerId)
  const saved = await meta.get('profile')
  let displayName = saved?.displayName ?? null
  let presence: ChosenPresence = saved?.presence ?? 'online'
  /** This device's own: never sent to peers. */
  let quietHours: QuietHours | null = saved?.quietHours ?? null

  const learn = async (peer: PeerIdString, stream: Stream): Promise<void> => {
    const profile = await readProfile(stream)
    await peers.setProfile(peer, profile.name, profile.presence)
  }

  const push = async (peer: PeerId): Promise<void> => {
    if (displayName === null) return
    try {
      const stream = await node.dialProtocol(peer, PROFILE_PROTOCOL, { signal: AbortSignal.timeout(10_000), runOnLimitedConnection: true })
      stream.send(frame(displayName, presence))
      await learn(peerIdOf(peer), stream)
      await stream.close()
    } catch (err) {
      log.debug('profile exchange failed', { peer: peer.toString(), error: errorMessage(err) })
    }
  }

  await components.protocols.handleMembers(PROFILE_PROTOCOL, async (stream: Stream, connection: Connection) => {
    const peer = peerIdOf(connection.remotePeer)
    try {
      await learn(peer, stream)
      if (displayName !== null) stream.send(frame(displayName, presence))
      await stream.close()
    } catch (err) {
      log.warn('profile stream reset', { peer, code: err instanceof EnclaveError ? err.code : 'internal', error: errorMessage(err) })
      stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
    }
  })

  // Identify tells us the peer speaks the protocol; only then is there someone to tell.
  const onIdentify = (evt: CustomEvent<{ peerId: PeerId; protocols: string[] }>): void => {
    if (evt.detail.protocols.includes(PROFILE_PROTOCOL) && components.allows(evt.detail.peerId.toString())) void push(evt.detail.peerId)
  }
  node.addEventListener('peer:identify', onIdentify)

  const view = (): ProfileView => ({ peerId: self, displayName, presence, quietHours })

  return {
    get: view,
    set: async (change) => {
      if (change.displayName !== undefined) displayName = normaliseDisplayName(change.displayName)
      if (change.presence !== undefined) presence = change.presence
      if (change.quietHours !== undefined) quietHours = change.quietHours
      await meta.put('profile', { displayName, presence, quietHours })
      emit('profile.changed', view())
      for (const peer of node.getPeers()) void push(peerIdFromString(peer.toString()))
      return view()
    },
    stop: () => { node.removeEventListener('peer:identify', onIdentify) }
  }
}
