import { z } from 'zod'
import { EnclaveError } from '../errors.js'
import { canonicalDecode, canonicalEncode } from './canonical.js'
import { isAdminRole, memberOfDevice, type MembershipState } from './membership-state.js'
import { ROLES } from './membership-op.js'
import { publicKeyOfPeer, SIGNATURE_DOMAINS, signFor, verifyFor } from './signing.js'
import type { WorkspaceId } from './workspace-key.js'
import type { PrivateKey } from '@libp2p/interface'

/** How long a certificate is valid; devices renew well before. */
export const CERTIFICATE_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000

const body = z.object({
  v: z.literal(1),
  ws: z.string(),
  userId: z.string().max(64),
  device: z.string().max(64),
  role: z.enum(ROLES),
  issuedAt: z.number().int().nonnegative(),
  expiresAt: z.number().int().positive(),
  /** The device's MLS signature key, filled in by the end-to-end encryption layer. */
  mlsKey: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength <= 256).nullable(),
  issuer: z.string().max(64)
}).strict()
export type CertificateBody = z.infer<typeof body>

export interface SignedCertificate { bytes: Uint8Array; sig: Uint8Array }
export interface Certificate extends CertificateBody { signed: SignedCertificate }

/** An admin device vouches: this device belongs to this user, with this role, until expiry. */
export async function issueCertificate(issuerKey: PrivateKey, cert: Omit<CertificateBody, 'v'>): Promise<Certificate> {
  const parsed = body.parse({ v: 1, ...cert })
  const bytes = canonicalEncode(parsed)
  const sig = await signFor(issuerKey, SIGNATURE_DOMAINS.memberCertificate, bytes)
  return { ...parsed, signed: { bytes, sig } }
}

/**
 * The one certificate check. Valid when: well formed, for `ws`, not expired at `now`, signed by
 * the issuer device it names, that issuer is an active admin or owner in `state`, and the
 * subject is not a removed user. A subject the state does not know yet (it joined through
 * another admin a moment ago) is accepted on the issuer's word; a subject the state knows must
 * match it (same user, that role).
 */
export async function verifyCertificate(signed: SignedCertificate, ws: WorkspaceId, state: MembershipState, now: number): Promise<Certificate> {
  const parsed = body.safeParse(canonicalDecode(signed.bytes))
  if (!parsed.success) throw new EnclaveError('bad-frame', 'malformed certificate')
  const cert = parsed.data
  if (cert.ws !== ws) throw new EnclaveError('wrong-conversation', 'certificate is for another workspace')
  if (cert.expiresAt <= now) throw new EnclaveError('unauthorized', 'certificate expired')
  const issuerKey = publicKeyOfPeer(cert.issuer)
  if (issuerKey === null || !await verifyFor(issuerKey, SIGNATURE_DOMAINS.memberCertificate, signed.bytes, signed.sig)) {
    throw new EnclaveError('wrong-author', 'certificate signature does not verify for its issuer')
  }
  const issuer = memberOfDevice(state, cert.issuer)
  if (issuer === undefined || issuer.status !== 'active' || !isAdminRole(issuer.role)) throw new EnclaveError('unauthorized', 'certificate issuer is not an admin of this workspace')
  if (state.removed.has(cert.userId)) throw new EnclaveError('unauthorized', 'certificate subject was removed')
  const known = memberOfDevice(state, cert.device)
  if (known !== undefined && (known.userId !== cert.userId || known.role !== cert.role || known.status !== 'active')) {
    throw new EnclaveError('unauthorized', 'certificate does not match the membership log')
  }
  return { ...cert, signed }
}

