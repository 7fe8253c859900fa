import { timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { EnclaveError } from '../errors.js'
import { parseUserId } from '../ids.js'
import { CERTIFICATE_LIFETIME_MS, issueCertificate, type SignedCertificate } from '../identity/certificate.js'
import { inviteSecretHash } from '../identity/invite-link.js'
import { isAdminRole, memberOfDevice, type InviteRecord, type Member } from '../identity/membership-state.js'
import { MAX_PARENTS, signOp, type Profile, type SignedOp } from '../identity/membership-op.js'
import { strangerRefusal } from '../net/refuse-stream.js'
import { ask, parseWith, serveRequest } from '../net/request-reply.js'
import { MAX_OPS_FRAME, opListSchema, type PackOptions } from './op-frames.js'
import { packMissing, syncCursorSchema, type SyncCursor } from './sync-cursor.js'
import type { Workspace, WorkspaceRegistry } from './workspace-registry.js'
import type { UserId } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Connection, PrivateKey, Stream } from '@libp2p/interface'

/**
 * Invite redemption: the one Enclave protocol a device that is not a member yet may open.
 * 3.0.0: the log comes packed by bytes, a reply is bounded by bytes and resumed (`have`), and a
 * device that redeemed an invite may ask again (its first reply was lost) without burning it.
 */
export const JOIN_PROTOCOL = '/enclave/join/3.0.0'

/** A join request is small; a device that is no member yet may send no more. */
const MAX_REQUEST_BYTES = 4096
/** Heads a joiner names when it resumes: the request must stay within MAX_REQUEST_BYTES. */
export const JOIN_HAVE = 40

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array)
const request = z.object({
  ws: z.string().max(40),
  inviteId: z.string().max(64),
  secret: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength === 32),
  userId: z.string().regex(/^[0-9a-zA-Z_-]{8,64}$/),
  profile: z.object({ name: z.string().min(1).max(64) }).strict(),
  /** Heads of the ops the joiner already holds from an earlier, cut-off reply. */
  have: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(JOIN_HAVE),
  /** Where the admin's last reply stopped (its `end.cursor`), or null. */
  from: syncCursorSchema.nullable()
}).strict()
export type JoinRequest = z.infer<typeof request>

const parseRequest = parseWith(request, 'join request')
const accepted = parseWith(z.object({
  status: z.enum(['active', 'pending']),
  certificate: z.object({ bytes, sig: bytes }).strict().nullable(),
  userId: z.string().regex(/^[0-9a-zA-Z_-]{8,64}$/)
}).strict(), 'join answer')
const opsFrame = z.object({ t: z.literal('ops'), ops: opListSchema }).strict()
const endFrame = parseWith(z.object({ t: z.literal('end'), more: z.boolean(), cursor: syncCursorSchema.nullable() }).strict(), 'end of join answer')

export interface JoinServerComponents {
  registry: WorkspaceRegistry
  deviceKey: PrivateKey
  self: string
  log: Logger
  /** The invite's secret hash, inline or fetched by its commitment; null when this device lacks it. */
  secretHashOf(invite: InviteRecord): string | null
  /** The log changed because a joiner was let in. */
  onChanged(ws: string): void
  /** Frame and reply sizes (tests shrink them). */
  packing?: PackOptions
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex')
  const y = Buffer.from(b, 'hex')
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Admin side: checks the invite (known, the secret matches, a use left, not revoked, not expired),
 * appends a `redeem` op naming the joiner's device, and sends back a certificate and the log,
 * at most a reply's budget of it (`end.more` says the joiner should ask again with `have`). An
 * invite this very device already redeemed is answered again, without a new op: the redeem is
 * written before the reply, and a lost reply must not burn the invite. Any failure is a coded
 * refusal on this stream only; a request that does not hold the invite's secret gets the
 * stranger refusal, so it learns neither where this device belongs nor its role.
 */
export function serveJoin(stream: Stream, connection: Connection, components: JoinServerComponents): Promise<void> {
  return serveRequest<JoinRequest>(stream, connection, {
    log: components.log,
    name: 'join',
    maxRequestBytes: MAX_REQUEST_BYTES,
    strangerRequestBytes: MAX_REQUEST_BYTES,
    // Said only to a joiner that holds the invite's secret: anyone else learns nothing.
    toStrangers: ['invite-invalid'],
    parse: parseRequest,
    handle: (remote, req) => admit(components, remote, req)
  })
}

/** The member this invite already let in from the asking device (its first answer was lost), if any. */
function redeemedBySameDevice(w: Workspace, redeemedBy: readonly string[], remote: string): Member | undefined {
  const state = w.log.state()
  const userId = state.devices.get(remote)
  return userId !== undefined && redeemedBy.includes(userId) ? state.members.get(userId) : undefined
}

async function redeem(components: JoinServerComponents, w: Workspace, remote: string, req: JoinRequest, now: number): Promise<Member> {
  const state = w.log.state()
  const invite = state.invites.get(req.inviteId)
  if (invite === undefined) throw new EnclaveError('invite-invalid', 'unknown invite')
  if (invite.revoked) throw new EnclaveError('invite-invalid', 'the invite was revoked')
  if (now > invite.expiresAt) throw new EnclaveError('invite-invalid', 'the invite expired')
  if (state.devices.has(remote)) throw new EnclaveError('already-member', 'this device is already a member')
  const profile: Profile = { name: req.profile.name }
  const op = await signOp(components.deviceKey, { v: 1, ws: w.record.ws, parents: w.log.recentHeads(MAX_PARENTS), author: components.self, ts: now, body: { type: 'redeem', inviteId: req.inviteId, userId: req.userId, device: remote, profile, at: now } })
  await components.registry.append(w.record.ws, [op])
  const rejection = w.log.rejections().get(op.id)
  if (rejection !== undefined) throw new EnclaveError('invite-invalid', `the invite could not be redeemed (${rejection})`)
  components.onChanged(w.record.ws)
  const member = w.log.state().members.get(req.userId)
  if (member === undefined) throw new EnclaveError('internal', 'the redeemed member is missing from the log')
  components.log.info('member joined by invite', { ws: w.record.ws, userId: req.userId, device: remote, status: member.status })
  return member
}

/** Redemptions in progress, per workspace: the tail of its queue. */
const redeeming = new WeakMap<Workspace, Promise<unknown>>()

/**
 * Runs one workspace's redemptions one after another. Two joins with one invite at once each
 * found it unused and each appended a redeem on the same heads: the log kept the one with the
 * lower op id, so the device told first that it joined could be the one left out.
 */
function oneAtATime<T>(w: Workspace, run: () => Promise<T>): Promise<T> {
  const next = (redeeming.get(w) ?? Promise.resolve()).then(run, run)
  redeeming.set(w, next.catch(() => undefined))
  return next
}

async function admit(components: JoinServerComponents, remote: string, req: JoinRequest): Promise<unknown[]> {
  // Not in that workspace, no admin there, no such invite, a wrong secret: one refusal for all, so
  // a device without the invite's secret learns neither where this device belongs nor its role.
  const w = components.registry.get(req.ws)
  if (w === undefined) throw strangerRefusal()
  const state = w.log.state()
  const me = memberOfDevice(state, components.self)
  if (me === undefined || me.status !== 'active' || !isAdminRole(me.role)) throw strangerRefusal()
  const invite = state.invites.get(req.inviteId)
  const secretHash = invite === undefined ? null : components.secretHashOf(invite)
  if (invite === undefined || secretHash === null || !sameHash(secretHash, inviteSecretHash(req.secret))) throw strangerRefusal()
  // Only the maker's devices redeem an invite (its link names no other): two admins could each
  // let a different device in at once, and the log would then void one redeem after its device
  // was told it joined and given a certificate.
  if (invite.createdBy !== me.userId) throw new EnclaveError('invite-invalid', 'the invite is redeemed by the admin who made it')
  const now = Date.now()
  const member = await oneAtATime(w, async () => {
    // Read again in turn: a redemption that ran meanwhile may have used the invite's last place.
    const current = w.log.state().invites.get(req.inviteId)
    const redeemedBy = current?.redeemedBy ?? []
    const again = redeemedBySameDevice(w, redeemedBy, remote)
    if (again !== undefined) {
      components.log.info('join answered again', { ws: w.record.ws, userId: again.userId, device: remote, resumed: req.have.length > 0 })
      return again
    }
    if (redeemedBy.length >= (current?.maxUses ?? 1)) throw new EnclaveError('invite-invalid', redeemedBy.length === 1 ? 'the invite was already used' : `the invite was already used by the ${redeemedBy.length} people it admits`)
    return redeem(components, w, remote, req, now)
  })

  let certificate: SignedCertificate | null = null
  if (member.status === 'active') {
    const cert = await issueCertificate(components.deviceKey, { ws: w.record.ws, userId: member.userId, device: remote, role: member.role, issuedAt: now, expiresAt: now + CERTIFICATE_LIFETIME_MS, mlsKey: null, issuer: components.self })
    certificate = cert.signed
  }
  const packed = packMissing(w.log, req.have, req.from, components.packing)
  return [
    { status: member.status, certificate, userId: member.userId },
    ...packed.frames.map((ops) => ({ t: 'ops', ops })),
    { t: 'end', more: packed.more, cursor: packed.next }
  ]
}

export interface JoinAnswer {
  status: 'active' | 'pending'
  certificate: SignedCertificate | null
  /** The joiner's user id in the log: the one of the first redeem, when this answer repeats it. */
  userId: UserId
  /** The admin has more of the log: ask again with `have` and `from` = `cursor`. */
  more: boolean
  cursor: SyncCursor | null
}

/**
 * Joiner side of one exchange: sends the request and reads the answer, handing each frame of ops
 * to `onOps` as it arrives (so a cut-off reply still leaves them to resume from). Throws the
 * admin's coded refusal.
 */
export function requestJoin(stream: Stream, req: JoinRequest, onOps: (ops: SignedOp[]) => Promise<void>): Promise<JoinAnswer> {
  return ask(stream, req, { maxReplyBytes: MAX_OPS_FRAME }, async (exchange) => {
    const yes = accepted(await exchange.next())
    for (;;) {
      const raw = await exchange.next()
      const ops = opsFrame.safeParse(raw)
      if (!ops.success) {
        const end = endFrame(raw)
        return { status: yes.status, certificate: yes.certificate, userId: parseUserId(yes.userId), more: end.more, cursor: end.cursor }
      }
      await onOps(ops.data.ops)
    }
  })
}

/** The decoders of this protocol's frames, for the fuzz tests. */
export const joinDecoders = { request: parseRequest, answer: accepted, ops: parseWith(opsFrame, 'ops in join answer'), end: endFrame }
