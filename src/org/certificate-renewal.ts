import { z } from 'zod'
import { EnclaveError, errorMessage } from '../errors.js'
import { CERTIFICATE_LIFETIME_MS, issueCertificate, verifyCertificate, type SignedCertificate } from '../identity/certificate.js'
import { canonicalDecode } from '../identity/canonical.js'
import { isAdminRole, memberOfDevice } from '../identity/membership-state.js'
import { frameReader, writeFrames } from '../net/frame-io.js'
import { certificateOf, type Workspace, type WorkspaceRegistry } from './workspace-registry.js'
import type { Logger } from '../logger.js'
import type { PrivateKey, Stream } from '@libp2p/interface'

/** A member device asks an admin device for a fresh certificate. */
export const CERTIFICATE_PROTOCOL = '/enclave/certificate/1.0.0'

/** Renew when less than this is left, or when the role in the certificate is no longer true. */
export const RENEW_BEFORE_MS = 2 * 24 * 60 * 60 * 1000

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array)
const request = z.object({ v: z.literal(1), ws: z.string().max(40) }).strict()
const answer = z.union([
  z.object({ v: z.literal(1), ok: z.literal(true), cert: z.object({ bytes, sig: bytes }).strict() }).strict(),
  z.object({ v: z.literal(1), ok: z.literal(false), code: z.string().max(40), message: z.string().max(300) }).strict()
])

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

/** Admin side: a fresh certificate for any active member device that asks. */
export async function serveCertificate(stream: Stream, remote: string, components: RenewalComponents): Promise<void> {
  try {
    const parsed = request.safeParse(await frameReader(stream, 4096).next())
    if (!parsed.success) throw new EnclaveError('bad-request', 'malformed certificate request')
    const w = components.registry.get(parsed.data.ws)
    const me = w === undefined ? undefined : memberOfDevice(w.log.state(), components.self)
    if (w === undefined || me === undefined || me.status !== 'active' || !isAdminRole(me.role)) throw new EnclaveError('unauthorized', 'this device does not issue certificates for that workspace')
    await writeFrames(stream, [{ v: 1, ok: true, cert: await issueFor(components, w, remote) }])
  } catch (err) {
    const coded = err instanceof EnclaveError ? err : new EnclaveError('internal', errorMessage(err))
    components.log.debug('certificate request refused', { peer: remote, code: coded.code, error: coded.message })
    await writeFrames(stream, [{ v: 1, ok: false, code: coded.code, message: coded.message }]).catch(() => undefined)
  }
  await stream.close().catch(() => undefined)
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
            const stream = await components.open(admin)
            const reader = frameReader(stream, 64 * 1024)
            await writeFrames(stream, [{ v: 1, ws: w.record.ws }])
            const reply = answer.safeParse(await reader.next())
            await stream.close().catch(() => undefined)
            if (!reply.success || !reply.data.ok) continue
            // Never keep a certificate this device's own log would not accept.
            await verifyCertificate(reply.data.cert, w.record.ws, state, Date.now())
            cert = reply.data.cert
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
