import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { EnclaveError } from '../errors.js'
import { canonicalDecode, canonicalEncode, domainHash } from './canonical.js'
import { MAX_PROFILE_EMAIL, MAX_PROFILE_PHONE } from '../limits.js'

/**
 * Values the membership log commits to without carrying them. The log goes to every device of a
 * workspace, guests included; a member's phone and email and an invite's secret hash are for
 * members only. An op names such a value by its commitment, a domain-separated SHA-256 of the
 * value with 16 random bytes of salt (a phone number alone could be guessed from its hash); the
 * value and salt travel apart (`/enclave/sealed/1.0.0`), to active members who are not guests,
 * and are checked against the commitment the signed op carries.
 */
const SALT = z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength === 16, '16 bytes of salt')
const contactValue = z.object({ k: z.literal('contact'), salt: SALT, phone: z.string().min(1).max(MAX_PROFILE_PHONE).optional(), email: z.string().min(1).max(MAX_PROFILE_EMAIL).optional() }).strict()
const inviteValue = z.object({ k: z.literal('invite'), salt: SALT, secretHash: z.string().regex(/^[0-9a-f]{64}$/) }).strict()
const sealedValue = z.discriminatedUnion('k', [contactValue, inviteValue])
export type SealedValue = z.infer<typeof sealedValue>
export type ContactValue = z.infer<typeof contactValue>

/** Largest encoded value: a phone, an email and the CBOR around them fit with room to spare. */
export const MAX_SEALED_VALUE_BYTES = 1024

const DOMAIN = 'enclave/sealed-field/v1'

export interface Sealed {
  /** What the op carries: the hex SHA-256 of `bytes` under the sealed-field domain. */
  commitment: string
  /** The value with its salt, canonical CBOR: what members fetch. */
  bytes: Uint8Array
  value: SealedValue
}

/** The commitment an op names for these bytes. */
export function commitmentOf(bytes: Uint8Array): string {
  return domainHash(DOMAIN, bytes)
}

/** Seals a value with fresh salt. */
export function sealValue(value: { k: 'contact'; phone?: string; email?: string } | { k: 'invite'; secretHash: string }): Sealed {
  const parsed = sealedValue.safeParse({ ...value, salt: new Uint8Array(randomBytes(16)) })
  if (!parsed.success) throw new EnclaveError('bad-request', `invalid ${value.k}: ${parsed.error.issues[0]?.message ?? ''}`)
  const bytes = canonicalEncode(parsed.data)
  return { commitment: commitmentOf(bytes), bytes, value: parsed.data }
}

/**
 * Opens a value a peer sent for `commitment`: canonical CBOR of the right shape whose hash is the
 * commitment, else `bad-frame` (wrong shape) or `wrong-author` (not the value the op committed to).
 */
export function openSealed(bytes: Uint8Array, commitment: string): SealedValue {
  if (bytes.byteLength > MAX_SEALED_VALUE_BYTES) throw new EnclaveError('too-large', 'sealed value too large')
  if (commitmentOf(bytes) !== commitment) throw new EnclaveError('wrong-author', 'the value does not match the commitment in the log')
  const parsed = sealedValue.safeParse(canonicalDecode(bytes))
  if (!parsed.success) throw new EnclaveError('bad-frame', 'malformed sealed value')
  return parsed.data
}
