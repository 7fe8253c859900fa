import { createHash, randomBytes } from 'node:crypto'
import { z } from 'zod'
import { EnclaveError } from '../errors.js'
import { deviceKeyBytes, packAddresses, packedReader } from './packed-bytes.js'
import { canonicalDecode, canonicalEncode, domainHash } from './canonical.js'
import { isWorkspaceId, parseInviteId } from '../ids.js'
import type { InviteId } from '../api/contract.js'

/**
 * What an invite link carries: where to go and how to prove one was invited. No data keys:
 * someone who intercepts a link can at most use it once before the invitee does.
 */
const payload = z.object({
  v: z.literal(1),
  ws: z.string().refine(isWorkspaceId),
  name: z.string().max(64),
  /** Root key fingerprint, so the joiner can check it with the inviter out of band. */
  fingerprint: z.string().max(64),
  /** Addresses of the inviting device (LAN and relays), full multiaddrs with /p2p/. */
  addresses: z.array(z.string().max(300)).max(16),
  inviteId: z.string().max(64),
  secret: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength === 32)
}).strict()
export type InvitePayload = z.infer<typeof payload>

export const INVITE_LINK_PREFIX = 'enclave://join/'

export function newInviteSecret(): Uint8Array {
  return new Uint8Array(randomBytes(32))
}

/** 128 random bits a short link carries instead of the 32-byte secret, which it stands for. */
export function newInviteSeed(): Uint8Array {
  return new Uint8Array(randomBytes(SEED_BYTES))
}

/** The secret a short link's seed stands for. */
export function inviteSecretOfSeed(seed: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update('enclave/invite-seed/v1').update(Uint8Array.of(0)).update(seed).digest())
}

export function newInviteId(): InviteId {
  return parseInviteId(`inv-${randomBytes(12).toString('hex')}`)
}

/** What the log records of a secret: only its hash. */
export function inviteSecretHash(secret: Uint8Array): string {
  return domainHash('enclave/invite-secret/v1', secret)
}

export function encodeInviteLink(invite: InvitePayload): string {
  return INVITE_LINK_PREFIX + Buffer.from(canonicalEncode(payload.parse(invite))).toString('base64url')
}

/**
 * The short link (version 2): the same invite packed as bytes, about 40 % of the first form's
 * length, so its QR code can be scanned from a screen. Hex ids and the fingerprint go as bytes,
 * the secret as the 16-byte seed it is derived from, the inviting device as its 32-byte key, and
 * its addresses as binary multiaddrs without the `/p2p/<device>` every one of them ends with:
 *
 *   0x02 | ws 16 | fingerprint 20 | inviteId 12 | seed 16 | device key 32
 *        | name length 1 | name UTF-8 | address count 1 | (length 1 | multiaddr bytes)*
 */
export function encodeShortInviteLink(invite: InvitePayload, seed: Uint8Array, device: string): string {
  const checked = payload.parse(invite)
  if (!sameBytes(inviteSecretOfSeed(seed), checked.secret)) throw new EnclaveError('internal', 'the seed does not give the invite\'s secret')
  const inviteId = /^inv-([0-9a-f]{24})$/.exec(checked.inviteId)?.[1]
  const fingerprint = checked.fingerprint.replace(/ /g, '')
  if (inviteId === undefined || !/^[0-9a-f]{40}$/.test(fingerprint)) throw new EnclaveError('internal', 'this invite has no short form')
  if (checked.addresses.some((a) => !a.endsWith(`/p2p/${device}`))) throw new EnclaveError('internal', 'a short link leads to the inviting device only')
  const name = Buffer.from(checked.name, 'utf8')
  const bytes = Buffer.concat([
    Uint8Array.of(SHORT_VERSION),
    Buffer.from(checked.ws.slice(1), 'hex'),
    Buffer.from(fingerprint, 'hex'),
    Buffer.from(inviteId, 'hex'),
    seed,
    deviceKeyBytes(device),
    Uint8Array.of(name.byteLength), name,
    ...packAddresses(checked.addresses)
  ])
  return INVITE_LINK_PREFIX + bytes.toString('base64url')
}

/** A copyable text for chat or e-mail, with the link and the fingerprint to compare. */
export function inviteText(invite: InvitePayload, link = encodeInviteLink(invite)): string {
  return `You are invited to the Enclave workspace "${invite.name}".\nJoin with: ${link}\nWorkspace fingerprint: ${invite.fingerprint}`
}

/** Reads a link, or any text that contains one (the pasted invite text). */
export function decodeInviteLink(text: string): InvitePayload {
  const match = /enclave:\/\/join\/([A-Za-z0-9_-]{20,4000})/.exec(text)
  if (match?.[1] === undefined) throw new EnclaveError('bad-request', 'no enclave://join/ link found')
  const bytes = new Uint8Array(Buffer.from(match[1], 'base64url'))
  if (bytes[0] === SHORT_VERSION) return decodeShort(bytes)
  let raw: unknown
  try {
    raw = canonicalDecode(bytes)
  } catch (err) {
    throw new EnclaveError('bad-request', 'the invite link is damaged', { cause: err })
  }
  const parsed = payload.safeParse(raw)
  if (!parsed.success) throw new EnclaveError('bad-request', 'the invite link is damaged')
  return parsed.data
}

const SHORT_VERSION = 2
const SEED_BYTES = 16

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}

/** Reads a short link's bytes into the invite they stand for; anything off is `bad-request`. */
function decodeShort(bytes: Uint8Array): InvitePayload {
  const { take, byte, device: readDevice, addresses: readAddresses, end } = packedReader(bytes, 'the invite link is damaged', 1)
  const hex = (n: number): string => Buffer.from(take(n)).toString('hex')
  try {
    const ws = `w${hex(16)}`
    const fingerprint = hex(20).match(/.{4}/g)?.join(' ') ?? ''
    const inviteId = `inv-${hex(12)}`
    const secret = inviteSecretOfSeed(take(SEED_BYTES))
    const device = readDevice()
    const name = new TextDecoder('utf-8', { fatal: true }).decode(take(byte()))
    const addresses = readAddresses(device)
    end()
    const parsed = payload.safeParse({ v: 1, ws, name, fingerprint, addresses, inviteId, secret })
    if (!parsed.success) throw new EnclaveError('bad-request', 'the invite link is damaged')
    return parsed.data
  } catch (err) {
    if (err instanceof EnclaveError) throw err
    throw new EnclaveError('bad-request', 'the invite link is damaged', { cause: err })
  }
}
