import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { EnclaveError } from '../errors.js'

/**
 * The byte forms of what links carry (short invite links, device link codes): a device as its
 * 32-byte Ed25519 key, and its addresses as binary multiaddrs without the `/p2p/<device>` each
 * one ends with, framed as `count 1 | (length 1 | multiaddr)*`.
 */

/** A device id's 32 raw key bytes; `internal` when it has no Ed25519 key. */
export function deviceKeyBytes(device: string): Uint8Array {
  const key = peerIdFromString(device).publicKey?.raw
  if (key?.byteLength !== 32) throw new EnclaveError('internal', 'the device has no Ed25519 key')
  return key
}

/** A device's addresses (each ending in `/p2p/<device>`), framed. */
export function packAddresses(addresses: readonly string[]): Uint8Array[] {
  // An address past 255 bytes (a pathological DNS name) cannot be framed; the others still lead there.
  const packed = addresses.map((a) => multiaddr(a.slice(0, a.lastIndexOf('/p2p/'))).bytes).filter((a) => a.byteLength <= 255).slice(0, 255)
  return [Uint8Array.of(packed.length), ...packed.flatMap((a) => [Uint8Array.of(a.byteLength), a])]
}

export interface PackedReader {
  take: (n: number) => Uint8Array
  byte: () => number
  /** A device written as its key. */
  device: () => string
  /** Framed addresses, each given back its `/p2p/<device>`. */
  addresses: (device: string) => string[]
  /** Throws unless every byte was read. */
  end: () => void
}

/** Reads `bytes` from `at`; running past the end (or stopping short of it, at `end()`) is `bad-request` saying `damaged`. */
export function packedReader(bytes: Uint8Array, damaged: string, at = 0): PackedReader {
  const take = (n: number): Uint8Array => {
    if (at + n > bytes.byteLength) throw new EnclaveError('bad-request', damaged)
    const part = bytes.subarray(at, at + n)
    at += n
    return part
  }
  const byte = (): number => take(1)[0] ?? 0
  return {
    take,
    byte,
    device: () => peerIdFromPublicKey(publicKeyFromRaw(take(32))).toString(),
    addresses: (device) => {
      const count = byte()
      const out: string[] = []
      for (let i = 0; i < count; i++) out.push(`${multiaddr(take(byte())).toString()}/p2p/${device}`)
      return out
    },
    end: () => { if (at !== bytes.byteLength) throw new EnclaveError('bad-request', damaged) }
  }
}
