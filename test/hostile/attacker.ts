/**
 * A scripted attacker for the hostile suite: a bare libp2p node (the core's transports, Noise,
 * Yamux) speaking Enclave's wire formats through the project's own codecs, with no Enclave core
 * behind it. It plays a stranger (a fresh key), a guest (a fresh key that redeemed a guest
 * invite), or a member or removed member (a real device's key and MLS group states, taken from
 * that device's store once its process stopped: what a thief of the laptop holds).
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { encode as cborEncode } from 'cborg'
import { CHAT_PROTOCOL, encodeFrame } from '../../src/chat/chat-frames.js'
import { createEnvelopeSigner } from '../../src/chat/envelope-signature.js'
import { decodeState, encryptApplication, epochOf } from '../../src/crypto/mls-group.js'
import { mlsClientConfig } from '../../src/crypto/mls-suite.js'
import { loadOrCreateDeviceKey } from '../../src/identity/device-key.js'
import { decodeInviteLink } from '../../src/identity/invite-link.js'
import { peerIdOf } from '../../src/ids.js'
import { createLogger } from '../../src/logger.js'
import { createNetNode, type NetNode } from '../../src/net/libp2p-node.js'
import { JOIN_PROTOCOL, requestJoin, type JoinAnswer } from '../../src/org/join-protocol.js'
import { loadDataKey } from '../../src/store/store-key.js'
import { openStore } from '../../src/store/store.js'
import type { AppPayload, Envelope, UnsignedEnvelope } from '../../src/chat/envelope.js'
import type { ConversationId, PeerIdString } from '../../src/api/contract.js'
import type { PrivateKey, Stream } from '@libp2p/interface'
import type { ClientState } from 'ts-mls'

export interface Attacker {
  readonly node: NetNode
  readonly peerId: PeerIdString
  /** Signs with the attacker's own device key, whatever author the envelope names. */
  sign(env: UnsignedEnvelope): Envelope
  /** Opens a chat stream to `address`. */
  open(address: string): Promise<Stream>
  /** Writes every envelope on the stream as fast as the victim takes them. */
  write(stream: Stream, envs: Envelope[]): Promise<void>
  /** `open`, then `write`. */
  push(address: string, envs: Envelope[]): Promise<Stream>
  /** Redeems an invite link at the address it names, as a fresh user with the given name. */
  redeem(link: string, name: string): Promise<JoinAnswer>
  stop(): Promise<void>
}

/** Starts an attacker on loopback with `key` (a stolen device's), or a fresh identity. */
export async function startAttacker(key?: PrivateKey): Promise<Attacker> {
  const privateKey = key ?? await generateKeyPair('Ed25519')
  const node = await createNetNode({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  const sign = createEnvelopeSigner(privateKey)
  const open = (address: string): Promise<Stream> => node.dialProtocol(multiaddr(address), CHAT_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
  const write = async (stream: Stream, envs: Envelope[]): Promise<void> => {
    for (const env of envs) {
      if (!stream.send(encodeFrame({ t: 'msg', env }))) await stream.onDrain({ signal: AbortSignal.timeout(10_000) })
    }
  }
  return {
    node,
    peerId: peerIdOf(node.peerId),
    sign,
    open,
    write,
    push: async (address, envs) => {
      const stream = await open(address)
      await write(stream, envs)
      return stream
    },
    redeem: async (link, name) => {
      const invite = decodeInviteLink(link)
      const address = invite.addresses.find((a) => a.includes('/ip4/127.0.0.1/')) ?? invite.addresses[0] ?? ''
      const stream = await node.dialProtocol(multiaddr(address), JOIN_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
      const userId = randomBytes(12).toString('hex')
      return requestJoin(stream, { ws: invite.ws, inviteId: invite.inviteId, secret: invite.secret, userId, profile: { name }, have: [], from: null }, () => Promise.resolve())
    },
    stop: async () => { await node.stop() }
  }
}

/** What a stopped device's store gives away: its key and the MLS state of every group it is in. */
export interface StolenDevice {
  key: PrivateKey
  groups: Map<string, ClientState>
}

/** Reads a stopped node's data folder with its own key file, as `createCore` would. */
export async function stealDevice(dataDir: string): Promise<StolenDevice> {
  const dataKey = await loadDataKey(dataDir, { kind: 'key-file', path: join(dataDir, 'store.key') })
  const store = await openStore({ path: join(dataDir, 'store'), log: createLogger('thief', { level: 'error' }), dataKey })
  try {
    const key = await loadOrCreateDeviceKey(store.collection<string>('meta'))
    const groups = new Map<string, ClientState>()
    // The thief checks no one's credential: it only encrypts.
    const config = mlsClientConfig({ validateCredential: () => Promise.resolve(true) })
    for await (const [groupId, b64] of store.collection<string>('mlsGroups').entries()) {
      groups.set(groupId, decodeState(new Uint8Array(Buffer.from(b64, 'base64')), config))
    }
    return { key, groups }
  } finally {
    await store.close()
  }
}

/** The stolen device's current group state for a conversation (group ids start with it). */
export function groupOf(device: StolenDevice, conv: ConversationId): { id: string; state: ClientState } {
  const found = [...device.groups].find(([id]) => id.startsWith(`${conv}/`))
  if (found === undefined) throw new Error(`the stolen device holds no group of ${conv}`)
  return { id: found[0], state: found[1] }
}

/**
 * A real MLS application message from the stolen device: `payload` encrypted at the next step
 * of its ratchet in the group's current epoch (the group state moves on, as the device's would).
 */
export async function sealAs(device: StolenDevice, conv: ConversationId, payload: AppPayload): Promise<{ mls: Uint8Array; epoch: number }> {
  const group = groupOf(device, conv)
  const { state, message } = await encryptApplication(group.state, cborEncode(payload))
  device.groups.set(group.id, state)
  return { mls: message, epoch: epochOf(group.state) }
}

/** An unsigned app envelope with garbage where the MLS message belongs. */
export function garbageEnvelope(conv: ConversationId, author: PeerIdString, seq: number, bytes = 64): UnsignedEnvelope {
  return { v: 3, conv, author, seq, kind: 'app', epoch: 1, mls: new Uint8Array(randomBytes(bytes)) }
}
