import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { EnclaveError } from '../errors.js'
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

/** A copyable text for chat or e-mail, with the link and the fingerprint to compare. */
export function inviteText(invite: InvitePayload): string {
  return `You are invited to the Enclave workspace "${invite.name}".\nJoin with: ${encodeInviteLink(invite)}\nWorkspace fingerprint: ${invite.fingerprint}`
}

/** Reads a link, or any text that contains one (the pasted invite text). */
export function decodeInviteLink(text: string): InvitePayload {
  const match = /enclave:\/\/join\/([A-Za-z0-9_-]{20,4000})/.exec(text)
  if (match?.[1] === undefined) throw new EnclaveError('bad-request', 'no enclave://join/ link found')
  let raw: unknown
  try {
    raw = canonicalDecode(new Uint8Array(Buffer.from(match[1], 'base64url')))
  } catch (err) {
    throw new EnclaveError('bad-request', 'the invite link is damaged', { cause: err })
  }
  const parsed = payload.safeParse(raw)
  if (!parsed.success) throw new EnclaveError('bad-request', 'the invite link is damaged')
  return parsed.data
}
