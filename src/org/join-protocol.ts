import { timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { EnclaveError } from '../errors.js'
import { CERTIFICATE_LIFETIME_MS, issueCertificate, type SignedCertificate } from '../identity/certificate.js'
import { inviteSecretHash } from '../identity/invite-link.js'
import { isAdminRole, memberOfDevice } from '../identity/membership-state.js'
import { signOp, type Profile, type SignedOp } from '../identity/membership-op.js'
import { strangerRefusal } from '../net/refuse-stream.js'
import { ask, parseWith, serveRequest } from '../net/request-reply.js'
import type { WorkspaceRegistry } from './workspace-registry.js'
import type { Logger } from '../logger.js'
import type { Connection, PrivateKey, Stream } from '@libp2p/interface'

/** Invite redemption: the one Enclave protocol a device that is not a member yet may open. */
export const JOIN_PROTOCOL = '/enclave/join/2.0.0'

/** A join request is small; a device that is no member yet may send no more. */
const MAX_REQUEST_BYTES = 4096
const MAX_FRAME = 1024 * 1024
const OPS_PER_FRAME = 200

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array)
const request = z.object({
  ws: z.string().max(40),
  inviteId: z.string().max(64),
  secret: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength === 32),
  userId: z.string().regex(/^[0-9a-zA-Z_-]{8,64}$/),
  profile: z.object({ name: z.string().min(1).max(64) }).strict()
}).strict()
export type JoinRequest = z.infer<typeof request>

const accepted = parseWith(z.object({ status: z.enum(['active', 'pending']), certificate: z.object({ bytes, sig: bytes }).strict().nullable(), opCount: z.number().int().nonnegative() }).strict(), 'join answer')
const opsFrame = parseWith(z.object({ t: z.literal('ops'), ops: z.array(z.object({ bytes, sig: bytes }).strict()).max(OPS_PER_FRAME) }).strict(), 'ops in join answer')

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
 * matches; a request that does not hold the secret gets the stranger refusal), appends a `redeem` op naming the joiner's device, and sends back the whole log and
 * a certificate. Any failure is a coded refusal on this stream only.
 */
export function serveJoin(stream: Stream, connection: Connection, components: JoinServerComponents): Promise<void> {
  return serveRequest<JoinRequest>(stream, connection, {
    log: components.log,
    name: 'join',
    maxRequestBytes: MAX_REQUEST_BYTES,
    strangerRequestBytes: MAX_REQUEST_BYTES,
    // Said only to a joiner that holds the invite's secret: anyone else learns nothing.
    toStrangers: ['invite-invalid'],
    parse: parseWith(request, 'join request'),
    handle: (remote, req) => admit(components, remote, req)
  })
}

async function admit(components: JoinServerComponents, remote: string, req: JoinRequest): Promise<unknown[]> {
  const { registry, log } = components
  // Not in that workspace, no admin there, no such invite, a wrong secret: one refusal for all, so
  // a device without the invite's secret learns neither where this device belongs nor its role.
  const w = registry.get(req.ws)
  if (w === undefined) throw strangerRefusal()
  const state = w.log.state()
  const me = memberOfDevice(state, components.self)
  if (me === undefined || me.status !== 'active' || !isAdminRole(me.role)) throw strangerRefusal()
  const invite = state.invites.get(req.inviteId)
  if (invite === undefined || !sameHash(invite.secretHash, inviteSecretHash(req.secret))) throw strangerRefusal()
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
  const frames: unknown[] = [{ status, certificate, opCount: ops.length }]
  for (let i = 0; i < ops.length; i += OPS_PER_FRAME) frames.push({ t: 'ops', ops: ops.slice(i, i + OPS_PER_FRAME).map((op) => op.signed) })
  log.info('member joined by invite', { ws: w.record.ws, userId: req.userId, device: remote, status })
  return frames
}

export interface JoinResult {
  status: 'active' | 'pending'
  certificate: SignedCertificate | null
  ops: SignedOp[]
}

/** Joiner side: sends the request and collects the answer, or throws the admin's coded refusal. */
export function requestJoin(stream: Stream, req: JoinRequest): Promise<JoinResult> {
  return ask(stream, req, { maxReplyBytes: MAX_FRAME }, async (exchange) => {
    const yes = accepted(await exchange.next())
    const ops: SignedOp[] = []
    while (ops.length < yes.opCount) ops.push(...opsFrame(await exchange.next()).ops)
    return { status: yes.status, certificate: yes.certificate, ops }
  })
}
