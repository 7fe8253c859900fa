import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { EnclaveError } from '../errors.js'
import { deviceKeyBytes, packAddresses, packedReader } from './packed-bytes.js'
import { canonicalEncode } from './canonical.js'
import { PEER_ID_TEXT } from '../ids.js'

/**
 * What a device link code carries (docs/devices.md): the device that shows it, where to reach
 * it, and a secret that only the code holds. The device being linked proves it read the code
 * with an HMAC under that secret; both devices then show a short authentication string (SAS)
 * from the secret and both device ids, so a copy of the code used by someone else shows a
 * different number than the user's own new device does.
 */
const payload = z.object({
  v: z.literal(1),
  device: z.string().regex(PEER_ID_TEXT),
  /** Full multiaddrs ending in /p2p/<device>: LAN first, then through relays. */
  addresses: z.array(z.string().max(300)).max(16),
  secret: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength === SECRET_BYTES),
  expiresAt: z.number().int().positive()
}).strict()
export type LinkCode = z.infer<typeof payload>

export const LINK_CODE_PREFIX = 'enclave://link/'
const SECRET_BYTES = 16

export function newLinkSecret(): Uint8Array {
  return new Uint8Array(randomBytes(SECRET_BYTES))
}

/**
 * The code is packed as bytes so that its QR code scans from a screen: the device as its 32-byte
 * key, and its addresses as binary multiaddrs without the `/p2p/<device>` each one ends with.
 *
 *   0x01 | device key 32 | secret 16 | expiresAt (seconds, uint32) | count 1 | (length 1 | multiaddr)*
 */
export function encodeLinkCode(code: LinkCode): string {
  const checked = payload.parse(code)
  if (checked.addresses.some((a) => !a.endsWith(`/p2p/${checked.device}`))) throw new EnclaveError('internal', 'a link code leads to its own device only')
  const expires = Buffer.alloc(4)
  expires.writeUInt32BE(Math.ceil(checked.expiresAt / 1000))
  const bytes = Buffer.concat([Uint8Array.of(VERSION), deviceKeyBytes(checked.device), checked.secret, expires, ...packAddresses(checked.addresses)])
  return LINK_CODE_PREFIX + bytes.toString('base64url')
}

const VERSION = 1

/** Reads a code, or any text that contains one; an expired or damaged code is `bad-request`. */
export function decodeLinkCode(text: string, now = Date.now()): LinkCode {
  const match = /enclave:\/\/link\/([A-Za-z0-9_-]{20,8000})/.exec(text)
  if (match?.[1] === undefined) throw new EnclaveError('bad-request', 'no enclave://link/ code found')
  const read = packedReader(new Uint8Array(Buffer.from(match[1], 'base64url')), 'the link code is damaged')
  let code: LinkCode
  try {
    if (read.byte() !== VERSION) throw new EnclaveError('bad-request', 'the link code is damaged or from a newer Enclave')
    const device = read.device()
    const secret = new Uint8Array(read.take(SECRET_BYTES))
    const expiresAt = Buffer.from(read.take(4)).readUInt32BE(0) * 1000
    const addresses = read.addresses(device)
    read.end()
    const parsed = payload.safeParse({ v: 1, device, addresses, secret, expiresAt })
    if (!parsed.success) throw new EnclaveError('bad-request', 'the link code is damaged')
    code = parsed.data
  } catch (err) {
    if (err instanceof EnclaveError) throw err
    throw new EnclaveError('bad-request', 'the link code is damaged', { cause: err })
  }
  if (code.expiresAt <= now) throw new EnclaveError('bad-request', 'the link code expired: show a new one on your other device')
  return code
}

/** One HMAC under the code's secret, for one purpose, over both devices. */
function mac(secret: Uint8Array, label: string, shown: string, linked: string): Buffer {
  return createHmac('sha256', secret).update(canonicalEncode({ label, shown, linked })).digest()
}

/** The new device's proof that it read the code (`shown` is the device that showed it). */
export function linkProof(secret: Uint8Array, shown: string, linked: string): Uint8Array {
  return new Uint8Array(mac(secret, 'enclave/device-link-proof/v1', shown, linked))
}

export function isLinkProof(proof: Uint8Array, secret: Uint8Array, shown: string, linked: string): boolean {
  const expected = mac(secret, 'enclave/device-link-proof/v1', shown, linked)
  return proof.byteLength === expected.byteLength && timingSafeEqual(proof, expected)
}

/** Six digits both devices show, as "123 456": the same on both only if they are each other's. */
export function linkSas(secret: Uint8Array, shown: string, linked: string): string {
  const digits = (mac(secret, 'enclave/device-link-sas/v1', shown, linked).readUInt32BE(0) % 1_000_000).toString().padStart(6, '0')
  return `${digits.slice(0, 3)} ${digits.slice(3)}`
}
