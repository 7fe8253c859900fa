import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { PeerRecord, RecordEnvelope } from '@libp2p/peer-record'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { EnclaveError } from '../errors.js'
import { peerIdOf } from '../ids.js'
import type { PeerIdString } from '../api/contract.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/** Addresses one route record may carry; beyond, the first ones (a device lists its best first). */
export const MAX_ROUTE_ADDRESSES = 16
/** Longest marshaled record accepted: 16 addresses of a relayed path and the envelope around them. */
export const MAX_ROUTE_BYTES = 4096
/** A record older than this is stale: neither kept nor shared (its device republishes daily). */
export const ROUTE_TTL_MS = 14 * 24 * 3600_000
/** How far ahead of this device's clock a record's time may be (clocks differ a little). */
const MAX_CLOCK_AHEAD_MS = 10 * 60_000

/**
 * A device's route: libp2p's signed peer record (an envelope signed by the device's own key in
 * libp2p's `libp2p-peer-record` domain) with the addresses it can be reached at, direct and
 * relayed. Its sequence number is the time it was made, in milliseconds: a newer record replaces
 * an older one, and an old one expires.
 */
export interface Route {
  peer: PeerIdString
  seq: number
  addresses: Multiaddr[]
  /** The marshaled envelope, as shared with other members. */
  bytes: Uint8Array
}

/** Strips this device's own `/p2p/<id>` from the end of an address: a record names it already. */
function withoutSelf(address: Multiaddr, self: PeerId): Multiaddr {
  const tail = `/p2p/${self.toString()}`
  const text = address.toString()
  return text.endsWith(tail) ? multiaddr(text.slice(0, -tail.length)) : address
}

/** Seals this device's route over `addresses` at time `seq`. */
export async function sealRoute(privateKey: PrivateKey, addresses: Multiaddr[], seq: number): Promise<Route> {
  const peerId = peerIdFromPublicKey(privateKey.publicKey)
  const unique = [...new Map(addresses.map((a) => withoutSelf(a, peerId)).map((a) => [a.toString(), a])).values()].slice(0, MAX_ROUTE_ADDRESSES)
  const envelope = await RecordEnvelope.seal(new PeerRecord({ peerId, multiaddrs: unique, seqNumber: BigInt(seq) }), privateKey)
  return { peer: peerIdOf(peerId), seq, addresses: unique, bytes: envelope.marshal() }
}

/**
 * Opens a route a peer sent: checks the envelope's signature in the peer record domain, that it
 * carries a peer record, that the record names the key that signed it, and that it is neither
 * stale nor from the future. Throws `bad-frame` otherwise. Whether the device is someone this
 * device keeps routes of is the caller's question.
 */
export async function openRoute(bytes: Uint8Array, now: number): Promise<Route> {
  if (bytes.byteLength > MAX_ROUTE_BYTES) throw new EnclaveError('too-large', 'a route record is too large')
  let envelope: RecordEnvelope
  let record: PeerRecord
  try {
    envelope = await RecordEnvelope.openAndCertify(bytes, PeerRecord.DOMAIN)
    if (!equalBytes(envelope.payloadType, PeerRecord.CODEC)) throw new Error('not a peer record')
    record = PeerRecord.createFromProtobuf(envelope.payload)
  } catch {
    throw new EnclaveError('bad-frame', 'a route record is not a peer record signed by its device')
  }
  if (!record.peerId.equals(peerIdFromPublicKey(envelope.publicKey))) throw new EnclaveError('bad-frame', 'a route record names another device than the one that signed it')
  const seq = Number(record.seqNumber)
  if (!Number.isSafeInteger(seq) || seq > now + MAX_CLOCK_AHEAD_MS) throw new EnclaveError('bad-frame', 'a route record is dated in the future')
  if (seq < now - ROUTE_TTL_MS) throw new EnclaveError('bad-frame', 'a route record has expired')
  if (record.multiaddrs.length > MAX_ROUTE_ADDRESSES) throw new EnclaveError('bad-frame', 'a route record lists too many addresses')
  return { peer: peerIdOf(record.peerId), seq, addresses: record.multiaddrs, bytes }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i])
}
