import { timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { EnclaveError, errorMessage } from '../errors.js'
import { CERTIFICATE_LIFETIME_MS, issueCertificate, type SignedCertificate } from '../identity/certificate.js'
import { inviteSecretHash } from '../identity/invite-link.js'
import { isAdminRole, memberOfDevice } from '../identity/membership-state.js'
import { signOp, type Profile, type SignedOp } from '../identity/membership-op.js'
import { frameReader, writeFrames } from '../net/frame-io.js'
import type { WorkspaceRegistry } from './workspace-registry.js'
import type { Logger } from '../logger.js'
import type { PrivateKey, Stream } from '@libp2p/interface'

/** Invite redemption: the one Enclave protocol a device that is not a member yet may open. */
export const JOIN_PROTOCOL = '/enclave/join/1.0.0'

const MAX_FRAME = 1024 * 1024
const OPS_PER_FRAME = 200

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array)
const request = z.object({
  v: z.literal(1),
  ws: z.string().max(40),
  inviteId: z.string().max(64),
  secret: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength === 32),
  userId: z.string().regex(/^[0-9a-zA-Z_-]{8,64}$/),
  profile: z.object({ name: z.string().min(1).max(64) }).strict()
}).strict()
export type JoinRequest = z.infer<typeof request>

const accepted = z.object({ v: z.literal(1), ok: z.literal(true), status: z.enum(['active', 'pending']), certificate: z.object({ bytes, sig: bytes }).strict().nullable(), opCount: z.number().int().nonnegative() }).strict()
const refused = z.object({ v: z.literal(1), ok: z.literal(false), code: z.string().max(40), message: z.string().max(300) }).strict()
const opsFrame = z.object({ v: z.literal(1), t: z.literal('ops'), ops: z.array(z.object({ bytes, sig: bytes }).strict()).max(OPS_PER_FRAME) }).strict()

export interface JoinServerComponents {
  registry: WorkspaceRegistry
  deviceKey: PrivateKey
  self: string
  log: Logger
  /** The log changed because a joiner was let in. */
  onChanged(ws: string): void
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex')
  const y = Buffer.from(b, 'hex')
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Admin side: checks the invite (known, not used, not revoked, not expired, the secret
 * matches), appends a `redeem` op naming the joiner's device, and sends back the whole log and
 * a certificate. Any failure is a coded refusal on this stream only.
 */
export async function serveJoin(stream: Stream, remote: string, components: JoinServerComponents): Promise<void> {
  const { registry, log } = components
  try {
    const parsed = request.safeParse(await frameReader(stream, MAX_FRAME).next())
    if (!parsed.success) throw new EnclaveError('bad-request', 'malformed join request')
    const req = parsed.data
    const w = registry.get(req.ws)
    if (w === undefined) throw new EnclaveError('invite-invalid', 'this device is not in that workspace')
    const state = w.log.state()
    const me = memberOfDevice(state, components.self)
    if (me === undefined || me.status !== 'active' || !isAdminRole(me.role)) throw new EnclaveError('invite-invalid', 'this device cannot admit members')
    const invite = state.invites.get(req.inviteId)
    if (invite === undefined || !sameHash(invite.secretHash, inviteSecretHash(req.secret))) throw new EnclaveError('invite-invalid', 'unknown invite')
    if (invite.revoked) throw new EnclaveError('invite-invalid', 'the invite was revoked')
    if (invite.redeemedBy !== null) throw new EnclaveError('invite-invalid', 'the invite was already used')
    const now = Date.now()
    if (now > invite.expiresAt) throw new EnclaveError('invite-invalid', 'the invite expired')
    if (state.devices.has(remote)) throw new EnclaveError('invite-invalid', 'this device is already a member')

    const profile: Profile = { name: req.profile.name }
    const redeem = await signOp(components.deviceKey, { v: 1, ws: w.record.ws, parents: w.log.heads(), author: components.self, ts: now, body: { type: 'redeem', inviteId: req.inviteId, userId: req.userId, device: remote, profile, at: now } })
    await registry.append(w.record.ws, [redeem])
    const rejection = w.log.rejections().get(redeem.id)
    if (rejection !== undefined) throw new EnclaveError('invite-invalid', `the invite could not be redeemed (${rejection})`)
    components.onChanged(w.record.ws)

    const status = w.log.state().members.get(req.userId)?.status ?? 'pending'
    let certificate: SignedCertificate | null = null
    if (status === 'active') {
      const cert = await issueCertificate(components.deviceKey, { ws: w.record.ws, userId: req.userId, device: remote, role: invite.role, issuedAt: now, expiresAt: now + CERTIFICATE_LIFETIME_MS, mlsKey: null, issuer: components.self })
      certificate = cert.signed
    }
    const ops = w.log.ordered()
    const frames: unknown[] = [{ v: 1, ok: true, status, certificate, opCount: ops.length }]
    for (let i = 0; i < ops.length; i += OPS_PER_FRAME) frames.push({ v: 1, t: 'ops', ops: ops.slice(i, i + OPS_PER_FRAME).map((op) => op.signed) })
    await writeFrames(stream, frames)
    await stream.close()
    log.info('member joined by invite', { ws: w.record.ws, userId: req.userId, device: remote, status })
  } catch (err) {
    const coded = err instanceof EnclaveError ? err : new EnclaveError('internal', errorMessage(err))
    log.warn('join refused', { peer: remote, code: coded.code, error: coded.message })
    await writeFrames(stream, [{ v: 1, ok: false, code: coded.code, message: coded.message }]).catch(() => undefined)
    await stream.close().catch(() => { stream.abort(coded) })
  }
}

export interface JoinResult {
  status: 'active' | 'pending'
  certificate: SignedCertificate | null
  ops: SignedOp[]
}

/** Joiner side: sends the request and collects the answer, or throws the admin's coded refusal. */
export async function requestJoin(stream: Stream, req: JoinRequest): Promise<JoinResult> {
  const reader = frameReader(stream, MAX_FRAME)
  await writeFrames(stream, [req])
  const first = await reader.next()
  const no = refused.safeParse(first)
  if (no.success) {
    const code = no.data.code === 'invite-invalid' ? 'invite-invalid' : 'unauthorized'
    throw new EnclaveError(code, no.data.message)
  }
  const yes = accepted.safeParse(first)
  if (!yes.success) throw new EnclaveError('bad-frame', 'malformed join answer')
  const ops: SignedOp[] = []
  while (ops.length < yes.data.opCount) {
    const frame = opsFrame.safeParse(await reader.next())
    if (!frame.success) throw new EnclaveError('bad-frame', 'malformed ops in join answer')
    ops.push(...frame.data.ops)
  }
  return { status: yes.data.status, certificate: yes.data.certificate, ops }
}

