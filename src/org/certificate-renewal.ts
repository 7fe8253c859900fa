import { z } from 'zod'
import { EnclaveError, errorMessage } from '../errors.js'
import { CERTIFICATE_LIFETIME_MS, issueCertificate, verifyCertificate, type SignedCertificate } from '../identity/certificate.js'
import { canonicalDecode } from '../identity/canonical.js'
import { isAdminRole, memberOfDevice } from '../identity/membership-state.js'
import { strangerRefusal } from '../net/refuse-stream.js'
import { askOnce, parseWith, serveRequest } from '../net/request-reply.js'
import { certificateOf, type Workspace, type WorkspaceRegistry } from './workspace-registry.js'
import type { Logger } from '../logger.js'
import type { Connection, PrivateKey, Stream } from '@libp2p/interface'

/** A member device asks an admin device for a fresh certificate. */
export const CERTIFICATE_PROTOCOL = '/enclave/certificate/2.0.0'

/** Renew when less than this is left, or when the role in the certificate is no longer true. */
export const RENEW_BEFORE_MS = 2 * 24 * 60 * 60 * 1000

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array)
const request = parseWith(z.object({ ws: z.string().max(40) }).strict(), 'certificate request')
const answer = parseWith(z.object({ cert: z.object({ bytes, sig: bytes }).strict() }).strict(), 'certificate answer')

export interface RenewalComponents {
  registry: WorkspaceRegistry
  deviceKey: PrivateKey
  self: string
  log: Logger
  /** Opens the certificate protocol to a device, or throws. */
  open(device: string): Promise<Stream>
  isConnected(device: string): boolean
}

/** What a certificate of this device says, if it has one. */
export function certificateSummary(w: Workspace): { role: string; expiresAt: number } | null {
  const signed = certificateOf(w.record)
  if (signed === null) return null
  const body = canonicalDecode(signed.bytes) as { role?: unknown; expiresAt?: unknown }
  return typeof body.role === 'string' && typeof body.expiresAt === 'number' ? { role: body.role, expiresAt: body.expiresAt } : null
}

async function issueFor(components: RenewalComponents, w: Workspace, device: string): Promise<SignedCertificate> {
  const state = w.log.state()
  const member = memberOfDevice(state, device)
  if (member === undefined || member.status !== 'active') throw new EnclaveError('not-member', 'not an active member')
  const now = Date.now()
  const cert = await issueCertificate(components.deviceKey, { ws: w.record.ws, userId: member.userId, device, role: member.role, issuedAt: now, expiresAt: now + CERTIFICATE_LIFETIME_MS, mlsKey: null, issuer: components.self })
  return cert.signed
}

/**
 * Admin side: a fresh certificate for any active member device that asks. A device that is no
 * active member of the workspace named gets the stranger refusal, whether this device is in that
 * workspace or an admin there or not; only its members learn that this device issues none.
 */
export function serveCertificate(stream: Stream, connection: Connection, components: RenewalComponents): Promise<void> {
  return serveRequest(stream, connection, {
    log: components.log,
    name: 'certificate',
    maxRequestBytes: 1024,
    parse: request,
    // Members ask every admin device they meet; a device that cannot issue saying so is ordinary.
    quiet: ['unauthorized'],
    handle: async (remote, req) => {
      const w = components.registry.get(req.ws)
      if (w === undefined || memberOfDevice(w.log.state(), remote)?.status !== 'active') throw strangerRefusal()
      const me = memberOfDevice(w.log.state(), components.self)
      if (me === undefined || me.status !== 'active' || !isAdminRole(me.role)) throw new EnclaveError('unauthorized', 'this device does not issue certificates for that workspace')
      return [{ cert: await issueFor(components, w, remote) }]
    }
  })
}

/**
 * Keeps this device's certificate in every workspace current: admins issue their own; members
 * ask a connected admin device. Returns the workspaces whose certificate changed.
 */
export async function renewCertificates(components: RenewalComponents): Promise<string[]> {
  const renewed: string[] = []
  for (const w of components.registry.list()) {
    const state = w.log.state()
    const me = memberOfDevice(state, components.self)
    if (me === undefined || me.status !== 'active') continue
    const current = certificateSummary(w)
    if (current !== null && current.role === me.role && current.expiresAt - Date.now() > RENEW_BEFORE_MS) continue
    try {
      let cert: SignedCertificate | null = null
      if (isAdminRole(me.role)) {
        cert = await issueFor(components, w, components.self)
      } else {
        const admins = [...state.members.values()].filter((m) => m.status === 'active' && isAdminRole(m.role)).flatMap((m) => m.devices).filter((d) => components.isConnected(d))
        for (const admin of admins) {
          try {
            const reply = await askOnce(await components.open(admin), { ws: w.record.ws }, { maxReplyBytes: 64 * 1024, parse: answer })
            // Never keep a certificate this device's own log would not accept.
            await verifyCertificate(reply.cert, w.record.ws, state, Date.now())
            cert = reply.cert
            break
          } catch (err) {
            components.log.debug('certificate renewal from an admin failed', { admin, error: errorMessage(err) })
          }
        }
      }
      if (cert === null) continue
      await components.registry.setCertificate(w.record.ws, cert)
      renewed.push(w.record.ws)
    } catch (err) {
      components.log.warn('certificate renewal failed', { ws: w.record.ws, error: errorMessage(err) })
    }
  }
  return renewed
}

/** The decoders of this protocol: the request an admin reads, the answer a member reads (for the fuzz tests). */
export const renewalDecoders = { request, answer }
