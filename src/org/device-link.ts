import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { multiaddr } from '@multiformats/multiaddr'
import { z } from 'zod'
import { EnclaveError, errorMessage } from '../errors.js'
import { isWorkspaceId, parsePeerId, parseUserId, parseWorkspaceId, peerIdOf } from '../ids.js'
import { decodeLinkCode, encodeLinkCode, isLinkProof, linkProof, linkSas, newLinkSecret } from '../identity/link-code.js'
import { deviceLinkProof, verifyOp, type SignedOp, type VerifiedOp } from '../identity/membership-op.js'
import { isStrangerRefusal, strangerRefusal } from '../net/refuse-stream.js'
import { ask, parseWith, serveRequest, type Exchange } from '../net/request-reply.js'
import { MAX_OPS_FRAME, OP_BYTES_PER_EXCHANGE, OP_BYTES_PER_FRAME, opListSchema, opSize } from './op-frames.js'
import type { Emit, LinkCodeView, LinkPreview, LinkRequestView, PeerIdString, UserId, WorkspaceId, WorkspaceView } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { NetNode } from '../net/libp2p-node.js'
import type { ProtocolHost } from '../net/protocol-host.js'
import type { PrivateKey } from '@libp2p/interface'

/**
 * Linking a device to its user's account (docs/devices.md). The device already in the account
 * shows a code; the new device, holding the code, opens this protocol to it and proves it read
 * the code; both show the same six digits, and the person confirms on the device that showed
 * the code. That device then offers its workspaces, the new device signs its consent for each,
 * and the existing one writes `addDevice` in each log and hands over the log itself.
 */
export const LINK_PROTOCOL = '/enclave/link/1.0.0'

/** How long a shown code lasts. */
const CODE_MS = 10 * 60_000
/** How long the person has to compare the digits and confirm; within a stream's 2-minute idle limit. */
const CONFIRM_MS = 90_000
/** Wrong proofs before a code is voided: someone is guessing, or a copy is being tried. */
const MAX_WRONG = 5
/** Workspaces one link hands over. */
const MAX_WORKSPACES = 32
/** The request and the consent, from a device that is no member yet. */
const MAX_LINK_REQUEST = 8 * 1024

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array)
const wsId = z.string().refine(isWorkspaceId)
const parseRequest = parseWith(z.object({ proof: bytes.refine((b) => b.byteLength === 32), name: z.string().min(1).max(64) }).strict(), 'link request')
const parseOffer = parseWith(z.object({ t: z.literal('offer'), workspaces: z.array(z.object({ ws: wsId, userId: z.string().regex(/^[0-9a-zA-Z_-]{8,64}$/) }).strict()).min(1).max(MAX_WORKSPACES) }).strict(), 'link offer')
const parseConsent = parseWith(z.object({ t: z.literal('consent'), proofs: z.array(z.object({ ws: wsId, sig: bytes.refine((b) => b.byteLength === 64) }).strict()).max(MAX_WORKSPACES) }).strict(), 'link consent')
const opsFrame = z.object({ t: z.literal('ops'), ws: wsId, ops: opListSchema }).strict()
const parseEnd = parseWith(z.object({ t: z.literal('end') }).strict(), 'end of link answer')

/** What the workspace service lets linking do (workspace-service.ts). */
export interface LinkWorkspaces {
  /** Workspaces where this device's user is an active member. */
  mine(): Array<{ ws: string; userId: UserId }>
  /** Is `device` already a device of anyone in this device's workspaces? */
  knows(device: PeerIdString): boolean
  /** Writes `addDevice` for this device's user; throws a coded error when the log refuses it. */
  addDevice(ws: string, device: PeerIdString, proof: Uint8Array): Promise<void>
  /** The log to hand over: whole when it fits one exchange, else a prefix (membership sync brings the rest). */
  logFrames(ws: string): SignedOp[][]
  /** Starts keeping a workspace this device was linked into. */
  adoptLinked(ws: WorkspaceId, userId: UserId, ops: VerifiedOp[]): Promise<WorkspaceView>
  /** This device's person's name in `ws`, as its profile in the log says. */
  nameIn(ws: string): string | null
  /** Keeps a device connected though it is no member yet, for `ms`. */
  keep(device: PeerIdString, ms: number): void
  inAny(): boolean
}

export interface DeviceLinkComponents {
  node: NetNode
  protocols: ProtocolHost
  deviceKey: PrivateKey
  log: Logger
  emit: Emit
  workspaces: LinkWorkspaces
  /** This device's name, shown on the other device while it confirms. */
  displayName(): string | null
  /** A device linked before it had a name takes its person's. */
  setDisplayName(name: string): Promise<void>
}

/** Op bytes a hand-over may bring per workspace: one exchange's budget, as the other side packs it. */
const HAND_OVER_BYTES = OP_BYTES_PER_EXCHANGE + OP_BYTES_PER_FRAME
/** What a frame costs of that budget besides its ops: empty frames without end are refused too. */
const FRAME_COST = 1024

/**
 * The new device reads the logs handed over into `into` (the workspaces offered), until `end`.
 * Each workspace's ops are counted before they are verified or kept: a device that sends more
 * than one exchange's worth, or frames that never end, is refused `too-large`.
 */
export async function readHandOver(exchange: Pick<Exchange, 'next'>, into: Map<string, { ops: VerifiedOp[] }>): Promise<void> {
  const spent = new Map<string, number>()
  for (;;) {
    const raw = await exchange.next()
    const frame = opsFrame.safeParse(raw)
    if (!frame.success) { parseEnd(raw); return }
    const { ws, ops } = frame.data
    const target = into.get(ws)
    if (target === undefined) throw new EnclaveError('bad-frame', 'ops for a workspace the link did not offer')
    const bytes = (spent.get(ws) ?? 0) + ops.reduce((sum, op) => sum + opSize(op), 0) + FRAME_COST
    if (bytes > HAND_OVER_BYTES) throw new EnclaveError('too-large', 'the other device handed over more of a log than one exchange holds')
    spent.set(ws, bytes)
    for (const signed of ops) target.ops.push(await verifyOp(signed, ws))
  }
}

export interface DeviceLinks {
  /** Shows a new code on this device (any earlier one stops working). */
  code(): LinkCodeView
  /** The digits the new device shows while the other one confirms. */
  preview(code: string): LinkPreview
  /** On the new device: links it through the code; resolves once it holds the workspaces. */
  link(code: string): Promise<WorkspaceView[]>
  /** On the device that showed the code: the person compared the digits and said yes or no. */
  confirm(requestId: string, accept: boolean): void
  stop(): void
}

interface OpenCode { secret: Uint8Array; expiresAt: number; wrong: number; claimed: boolean }
interface Pending { decide(accept: boolean): void }

export async function createDeviceLinks(components: DeviceLinkComponents): Promise<DeviceLinks> {
  const { node, deviceKey, log, emit, workspaces } = components
  const self = peerIdOf(node.peerId)
  let open: OpenCode | null = null
  const pending = new Map<string, Pending>()
  const myName = (): string => components.displayName() ?? hostname().slice(0, 64)

  /** Waits for the person's answer; no answer in time is a no. The request's view says each step. */
  const askPerson = (name: string, sas: string): { requestId: string; answer: Promise<boolean> } => {
    const requestId = randomBytes(8).toString('hex')
    const answer = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => { decide(false, 'timed-out') }, CONFIRM_MS)
      const decide = (accept: boolean, state: LinkRequestView['state'] = accept ? 'confirmed' : 'declined'): void => {
        clearTimeout(timer)
        if (!pending.delete(requestId)) return
        emit('devices.linkRequest', { requestId, deviceName: name, sas, state, expiresAt: 0 })
        resolve(accept)
      }
      pending.set(requestId, { decide })
    })
    emit('devices.linkRequest', { requestId, deviceName: name, sas, state: 'waiting', expiresAt: Date.now() + CONFIRM_MS })
    return { requestId, answer }
  }

  const serve = async (remote: PeerIdString, req: { proof: Uint8Array; name: string }, exchange: Exchange): Promise<unknown[]> => {
    const code = open
    // No code shown, an old one, a used one, a wrong proof: the one refusal a stranger gets.
    if (code === null || code.expiresAt <= Date.now() || code.claimed) throw strangerRefusal()
    if (!isLinkProof(req.proof, code.secret, self, remote)) {
      if (++code.wrong >= MAX_WRONG) { open = null; log.warn('link code voided after wrong proofs', { wrong: code.wrong }) }
      throw strangerRefusal()
    }
    code.claimed = true
    open = null
    if (workspaces.knows(remote)) throw new EnclaveError('already-member', 'that device is already in this workspace')
    workspaces.keep(remote, CONFIRM_MS + 60_000)
    const sas = linkSas(code.secret, self, remote)
    const { requestId, answer } = askPerson(req.name, sas)
    if (!await answer) throw new EnclaveError('unauthorized', 'the link was not confirmed on the other device')
    const ended = (state: LinkRequestView['state']): void => { emit('devices.linkRequest', { requestId, deviceName: req.name, sas, state, expiresAt: 0 }) }
    try {
      const mine = workspaces.mine().slice(0, MAX_WORKSPACES)
      if (mine.length === 0) throw new EnclaveError('not-member', 'the other device is in no workspace to link into')
      await exchange.send([{ t: 'offer', workspaces: mine }])
      const consent = parseConsent(await exchange.next())
      const frames: unknown[] = []
      for (const { ws } of mine) {
        const proof = consent.proofs.find((p) => p.ws === ws)
        if (proof === undefined) continue
        await workspaces.addDevice(ws, remote, proof.sig)
        for (const ops of workspaces.logFrames(ws)) frames.push({ t: 'ops', ws, ops })
      }
      log.info('linked a device to this account', { device: remote, workspaces: consent.proofs.length })
      ended('linked')
      return [...frames, { t: 'end' }]
    } catch (err) {
      ended('failed')
      throw err
    }
  }

  await components.protocols.handleAnyone(LINK_PROTOCOL, (stream, connection) => serveRequest(stream, connection, {
    log: log.child('link'),
    name: 'link',
    maxRequestBytes: MAX_LINK_REQUEST,
    strangerRequestBytes: MAX_LINK_REQUEST,
    // Told only to the device that proved it holds the code.
    toStrangers: ['unauthorized', 'already-member', 'not-member', 'over-quota'],
    parse: parseRequest,
    handle: serve
  }))

  /** The new device's side of one link: every workspace's ops, verified, by workspace. */
  const requestLink = async (address: string, secret: Uint8Array, shown: PeerIdString): Promise<Map<string, { userId: UserId; ops: VerifiedOp[] }>> => {
    const stream = await node.dialProtocol(multiaddr(address), LINK_PROTOCOL, { signal: AbortSignal.timeout(15_000), runOnLimitedConnection: true })
    return ask(stream, { proof: linkProof(secret, shown, self), name: myName() }, { maxReplyBytes: MAX_OPS_FRAME }, async (exchange) => {
      const offer = parseOffer(await exchange.next())
      const got = new Map<string, { userId: UserId; ops: VerifiedOp[] }>()
      const proofs = []
      for (const { ws, userId } of offer.workspaces) {
        got.set(ws, { userId: parseUserId(userId), ops: [] })
        proofs.push({ ws, sig: await deviceLinkProof(deviceKey, parseWorkspaceId(ws), userId, self) })
      }
      await exchange.send([{ t: 'consent', proofs }])
      await readHandOver(exchange, got)
      return got
    })
  }

  return {
    code: () => {
      // Whole seconds: the code carries its expiry in seconds.
      const expiresAt = Math.ceil((Date.now() + CODE_MS) / 1000) * 1000
      const secret = newLinkSecret()
      open = { secret, expiresAt, wrong: 0, claimed: false }
      const all = node.getMultiaddrs().map((a) => a.toString())
      const addresses = [...all.filter((a) => !a.includes('/p2p-circuit')), ...all.filter((a) => a.includes('/p2p-circuit'))].slice(0, 16)
      return { code: encodeLinkCode({ v: 1, device: self, addresses, secret, expiresAt }), expiresAt }
    },
    preview: (text) => {
      const code = decodeLinkCode(text)
      if (code.device === self) throw new EnclaveError('bad-request', 'that code was shown by this device')
      return { sas: linkSas(code.secret, code.device, self), expiresAt: code.expiresAt }
    },
    link: async (text) => {
      const code = decodeLinkCode(text)
      if (code.device === self) throw new EnclaveError('bad-request', 'that code was shown by this device')
      if (workspaces.inAny()) throw new EnclaveError('already-member', 'this device is already in a workspace: link a device that has not joined one')
      let lastError: unknown = new EnclaveError('peer-unreachable', 'the code carries no address')
      for (const address of code.addresses) {
        let got: Map<string, { userId: UserId; ops: VerifiedOp[] }>
        try {
          got = await requestLink(address, code.secret, parsePeerId(code.device))
        } catch (err) {
          // A refusal from the device itself is final; an address that does not answer gives way to the next.
          if (isStrangerRefusal(err)) throw new EnclaveError('bad-request', 'the other device does not take this code: it was used, expired, or a newer one is shown there')
          if (err instanceof EnclaveError && err.code !== 'peer-unreachable' && err.code !== 'bad-frame') throw err
          lastError = err
          log.debug('link attempt failed', { address, error: errorMessage(err) })
          continue
        }
        const views: WorkspaceView[] = []
        for (const [ws, { userId, ops }] of got) if (ops.length > 0) views.push(await workspaces.adoptLinked(parseWorkspaceId(ws), userId, ops))
        const name = views.map((w) => workspaces.nameIn(w.id)).find((n) => n !== null)
        if (components.displayName() === null && name !== undefined) await components.setDisplayName(name)
        return views
      }
      throw lastError instanceof EnclaveError ? lastError : new EnclaveError('peer-unreachable', `could not reach the other device: ${errorMessage(lastError)}`)
    },
    confirm: (requestId, accept) => {
      const request = pending.get(requestId)
      if (request === undefined) throw new EnclaveError('not-found', 'no device is waiting for that answer (it may have timed out)')
      request.decide(accept)
    },
    stop: () => {
      for (const request of pending.values()) request.decide(false)
      open = null
    }
  }
}
