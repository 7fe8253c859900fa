import { z } from 'zod'
import { EnclaveError, errorMessage } from '../errors.js'
import { verifyCertificate } from '../identity/certificate.js'
import { memberOfDevice } from '../identity/membership-state.js'
import { strangerRefusal } from '../net/refuse-stream.js'
import { ask, parseWith, serveRequest, type Exchange } from '../net/request-reply.js'
import { certificateOf, type Workspace, type WorkspaceRegistry } from './workspace-registry.js'
import type { VerifiedOp } from '../identity/membership-op.js'
import type { Logger } from '../logger.js'
import type { Connection, Stream } from '@libp2p/interface'

/** Membership log replication; runs on every new connection before any other Enclave protocol. */
export const MEMBERSHIP_PROTOCOL = '/enclave/membership/2.0.0'

const MAX_FRAME = 1024 * 1024
/**
 * A hello from a peer not known to be a member yet: enough for a device in a few workspaces to
 * show its certificates (about 0.4 KiB each, plus 66 bytes a head), and no more.
 */
const STRANGER_HELLO_BYTES = 8 * 1024
/** Ops per frame: far below the frame limit even with avatars in profiles. */
const OPS_PER_FRAME = 200

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array)
const signed = z.object({ bytes, sig: bytes }).strict()
const HEADS = z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(256)
const hello = z.object({
  t: z.literal('hello'),
  workspaces: z.array(z.object({ ws: z.string().max(40), heads: HEADS, cert: signed.nullable() }).strict()).max(64)
}).strict()
const opsFrame = z.object({ t: z.literal('ops'), ws: z.string().max(40), ops: z.array(signed).max(OPS_PER_FRAME) }).strict()
const headsFrame = parseWith(z.object({ t: z.literal('heads'), workspaces: z.array(z.object({ ws: z.string().max(40), heads: HEADS }).strict()).max(64) }).strict(), 'heads (expected the peer\'s heads)')
const doneFrame = parseWith(z.object({ t: z.literal('done') }).strict(), 'end of sync (expected done)')

export interface SyncComponents {
  registry: WorkspaceRegistry
  log: Logger
  /** New ops reached a workspace's log. */
  onChanged(ws: string): void
  /** A certificate proved the peer a member before its ops arrived. */
  onAdmitted(ws: string, device: string): void
}

function opFrames(ws: string, ops: VerifiedOp[]): unknown[] {
  const frames: unknown[] = []
  for (let i = 0; i < ops.length; i += OPS_PER_FRAME) {
    frames.push({ t: 'ops', ws, ops: ops.slice(i, i + OPS_PER_FRAME).map((op) => op.signed) })
  }
  return frames
}

/** Reads `ops` frames, storing each batch as it comes; returns the first frame that is not one. */
async function receiveOps(exchange: Exchange, components: SyncComponents, allowed: ReadonlySet<string>): Promise<unknown> {
  for (;;) {
    const raw = await exchange.next()
    const ops = opsFrame.safeParse(raw)
    if (!ops.success) return raw
    if (!allowed.has(ops.data.ws)) throw new EnclaveError('not-member', `ops for a workspace not shared: ${ops.data.ws}`)
    const added = await components.registry.receive(ops.data.ws, ops.data.ops)
    if (added.length > 0) components.onChanged(ops.data.ws)
  }
}

/**
 * Initiator side: says which workspaces it is in (heads and its certificate), takes what the
 * other side has that it lacks, then sends what the other side lacks.
 */
export function syncWith(stream: Stream, workspaces: Workspace[], components: SyncComponents): Promise<void> {
  const hello = { t: 'hello', workspaces: workspaces.map((w) => ({ ws: w.record.ws, heads: w.log.heads(), cert: certificateOf(w.record) })) }
  return ask(stream, hello, { maxReplyBytes: MAX_FRAME }, async (exchange) => {
    const shared = new Set<string>(workspaces.map((w) => w.record.ws))
    const closing = headsFrame(await receiveOps(exchange, components, shared))
    const frames: unknown[] = []
    for (const { ws, heads } of closing.workspaces) {
      const w = components.registry.get(ws)
      if (w !== undefined && shared.has(ws)) frames.push(...opFrames(w.record.ws, w.log.since(heads)))
    }
    frames.push({ t: 'done' })
    await exchange.send(frames)
  })
}

/**
 * Responder side. Answers only for workspaces the initiator is in, by this device's log or by
 * a certificate from an admin this device knows; anyone else gets the stranger refusal. A peer
 * that proves itself by certificate here is still read with a stranger's limits on this stream:
 * this device syncs with it as a member right after (`onAdmitted`).
 */
export function serveSync(stream: Stream, connection: Connection, components: SyncComponents): Promise<void> {
  return serveRequest<z.infer<typeof hello>>(stream, connection, {
    log: components.log,
    name: 'membership sync',
    maxRequestBytes: MAX_FRAME,
    strangerRequestBytes: STRANGER_HELLO_BYTES,
    parse: parseWith(hello, 'membership hello'),
    handle: async (remote, req, exchange) => {
      const shared = new Set<string>()
      const frames: unknown[] = []
      const heads: Array<{ ws: string; heads: string[] }> = []
      for (const entry of req.workspaces) {
        const w = components.registry.get(entry.ws)
        if (w === undefined) continue
        const state = w.log.state()
        let member = memberOfDevice(state, remote) !== undefined
        if (!member && entry.cert !== null) {
          try {
            const cert = await verifyCertificate(entry.cert, w.record.ws, state, Date.now())
            member = cert.device === remote
            if (member) components.onAdmitted(entry.ws, remote)
          } catch (err) {
            components.log.debug('certificate refused', { peer: remote, error: errorMessage(err) })
          }
        }
        if (!member) continue
        shared.add(entry.ws)
        frames.push(...opFrames(entry.ws, w.log.since(entry.heads)))
        heads.push({ ws: entry.ws, heads: w.log.heads() })
      }
      if (shared.size === 0) throw strangerRefusal()
      frames.push({ t: 'heads', workspaces: heads })
      await exchange.send(frames)
      doneFrame(await receiveOps(exchange, components, shared))
      return []
    }
  })
}
