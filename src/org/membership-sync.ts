import { z } from 'zod'
import { EnclaveError, errorMessage } from '../errors.js'
import { verifyCertificate } from '../identity/certificate.js'
import { memberOfDevice } from '../identity/membership-state.js'
import { strangerRefusal } from '../net/refuse-stream.js'
import { ask, parseWith, serveRequest, type Exchange } from '../net/request-reply.js'
import { certificateOf, type Workspace, type WorkspaceRegistry } from './workspace-registry.js'
import { MAX_OPS_FRAME, opListSchema, type PackOptions } from './op-frames.js'
import { packMissing, syncCursorSchema, type SyncCursor } from './sync-cursor.js'
import type { Logger } from '../logger.js'
import type { Connection, Stream } from '@libp2p/interface'

/**
 * Membership log replication; runs on every new connection before any other Enclave protocol.
 * 3.0.0: ops packed by bytes, exchanges bounded by bytes and resumed (2.0.0 packed 200 ops a
 * frame, which a log with pictures inline outgrew: every sync then failed with `too-large`).
 */
export const MEMBERSHIP_PROTOCOL = '/enclave/membership/3.0.0'

/** Heads a hello or heads frame names per workspace; with more, the most recent (docs/protocol.md). */
export const SYNC_HEADS = 256
/** Exchanges one `syncFully` runs before it lets the next trigger go on (64 MiB of ops at most). */
const MAX_ROUNDS = 16
/**
 * A hello from a peer not known to be a member yet: enough for a device in a few workspaces to
 * show its certificates (about 0.4 KiB each, plus 66 bytes a head), and no more.
 */
const STRANGER_HELLO_BYTES = 8 * 1024

const signed = z.object({ bytes: z.custom<Uint8Array>((v) => v instanceof Uint8Array), sig: z.custom<Uint8Array>((v) => v instanceof Uint8Array) }).strict()
const HEADS = z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(SYNC_HEADS)
const WS = z.string().max(40)
const hello = z.object({
  t: z.literal('hello'),
  workspaces: z.array(z.object({ ws: WS, heads: HEADS, cert: signed.nullable(), from: syncCursorSchema.nullable() }).strict()).max(64)
}).strict()
const opsFrame = z.object({ t: z.literal('ops'), ws: WS, ops: opListSchema }).strict()
const headsFrame = parseWith(z.object({ t: z.literal('heads'), workspaces: z.array(z.object({ ws: WS, heads: HEADS, more: z.boolean(), cursor: syncCursorSchema.nullable() }).strict()).max(64) }).strict(), 'heads (expected the peer\'s heads)')
const doneFrame = parseWith(z.object({ t: z.literal('done') }).strict(), 'end of sync (expected done)')
const parseHello = parseWith(hello, 'membership hello')

export interface SyncComponents {
  registry: WorkspaceRegistry
  log: Logger
  /** New ops reached a workspace's log. */
  onChanged(ws: string): void
  /** A certificate proved the peer a member before its ops arrived. */
  onAdmitted(ws: string, device: string): void
  /** Frame and exchange sizes (tests shrink them). */
  packing?: PackOptions
}

/** How one exchange ended: whether either side had ops left over for another. */
export interface SyncRound {
  /** The peer ran out of budget before sending all this device lacks. */
  peerMore: boolean
  /** This device ran out of budget before sending all the peer lacks. */
  selfMore: boolean
  /** Ops that joined this device's logs. */
  received: number
  /** The peer's heads at the end of its part, all workspaces together (to see whether it moved). */
  peerHeads: string
}

/** Reads `ops` frames, storing each batch as it comes; returns the first frame that is not one. */
async function receiveOps(exchange: Exchange, components: SyncComponents, allowed: ReadonlySet<string>, counted: { added: number }): Promise<unknown> {
  for (;;) {
    const raw = await exchange.next()
    const ops = opsFrame.safeParse(raw)
    if (!ops.success) return raw
    if (!allowed.has(ops.data.ws)) throw new EnclaveError('not-member', `ops for a workspace not shared: ${ops.data.ws}`)
    // Stored frame by frame: if the stream dies here, the next sync starts from what arrived.
    const added = await components.registry.receive(ops.data.ws, ops.data.ops)
    counted.added += added.length
    if (added.length > 0) components.onChanged(ops.data.ws)
  }
}

/**
 * Where the exchanges of one `syncFully` run stopped, per workspace: the peer's cursors (handed
 * back in the next hello) and this device's own (what it sent the peer).
 */
export interface SyncCursors {
  theirs: Map<string, SyncCursor>
  mine: Map<string, SyncCursor>
}

/**
 * Sends what a peer at `heads` lacks of `w` (past `cursor`), within what is left of the
 * exchange's budget; says whether ops were left over, and the cursor to resume from.
 */
async function sendMissing(exchange: Exchange, w: Workspace, heads: readonly string[], cursor: SyncCursor | null, packing: PackOptions | undefined, spent: { bytes: number }): Promise<{ more: boolean; next: SyncCursor | null }> {
  const packed = packMissing(w.log, heads, cursor, packing, spent.bytes)
  spent.bytes += packed.bytes
  await exchange.send(packed.frames.map((ops) => ({ t: 'ops', ws: w.record.ws, ops })))
  return { more: packed.more, next: packed.next }
}

/**
 * Initiator side of one exchange: says which workspaces it is in (heads and its certificate),
 * takes what the other side has that it lacks, then sends what the other side lacks. Each side
 * sends at most the exchange's budget; `more` says another exchange is due (`syncFully`).
 */
export function syncWith(stream: Stream, workspaces: Workspace[], components: SyncComponents, cursors: SyncCursors = { theirs: new Map(), mine: new Map() }): Promise<SyncRound> {
  const hello = { t: 'hello', workspaces: workspaces.map((w) => ({ ws: w.record.ws, heads: w.log.recentHeads(SYNC_HEADS), cert: certificateOf(w.record), from: cursors.theirs.get(w.record.ws) ?? null })) }
  return ask(stream, hello, { maxReplyBytes: MAX_OPS_FRAME }, async (exchange) => {
    const shared = new Set<string>(workspaces.map((w) => w.record.ws))
    const counted = { added: 0 }
    const closing = headsFrame(await receiveOps(exchange, components, shared, counted))
    let selfMore = false
    const spent = { bytes: 0 }
    for (const { ws, heads, cursor } of closing.workspaces) {
      if (cursor === null) cursors.theirs.delete(ws)
      else cursors.theirs.set(ws, cursor)
      const w = components.registry.get(ws)
      if (w === undefined || !shared.has(ws)) continue
      const { more, next } = await sendMissing(exchange, w, heads, cursors.mine.get(ws) ?? null, components.packing, spent)
      if (next === null) cursors.mine.delete(ws)
      else cursors.mine.set(ws, next)
      selfMore ||= more
    }
    await exchange.send([{ t: 'done' }])
    return {
      peerMore: closing.workspaces.some((w) => w.more),
      selfMore,
      received: counted.added,
      peerHeads: closing.workspaces.map((w) => `${w.ws}:${w.heads.join()}`).join(';')
    }
  })
}

/**
 * Syncs with one peer until neither side has more, one exchange per stream from `open`, each
 * starting from the heads this device has by then: a cut-off exchange loses only what was in
 * flight, and the next trigger resumes from there. A round that moved nothing ends it (the ops
 * left over are ones a gate holds), and so do MAX_ROUNDS rounds.
 */
export async function syncFully(open: () => Promise<Stream>, workspaces: () => Workspace[], components: SyncComponents): Promise<void> {
  let lastHeads: string | undefined
  const cursors: SyncCursors = { theirs: new Map(), mine: new Map() }
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const mine = workspaces()
    if (mine.length === 0) return
    const result = await syncWith(await open(), mine, components, cursors)
    const moved = result.received > 0 || result.peerHeads !== lastHeads
    lastHeads = result.peerHeads
    if (!moved || (!result.peerMore && !result.selfMore)) return
    if (!result.selfMore && result.received === 0) return
  }
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
    maxRequestBytes: MAX_OPS_FRAME,
    strangerRequestBytes: STRANGER_HELLO_BYTES,
    parse: parseHello,
    handle: async (remote, req, exchange) => {
      const shared = new Set<string>()
      const heads: Array<{ ws: string; heads: string[]; more: boolean; cursor: SyncCursor | null }> = []
      const spent = { bytes: 0 }
      for (const entry of req.workspaces) {
        const w = components.registry.get(entry.ws)
        if (w === undefined || shared.has(entry.ws)) continue
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
        const { more, next } = await sendMissing(exchange, w, entry.heads, entry.from, components.packing, spent)
        heads.push({ ws: entry.ws, heads: w.log.recentHeads(SYNC_HEADS), more, cursor: next })
      }
      if (shared.size === 0) throw strangerRefusal()
      await exchange.send([{ t: 'heads', workspaces: heads }])
      doneFrame(await receiveOps(exchange, components, shared, { added: 0 }))
      return []
    }
  })
}

/** The decoders of this protocol's frames, for the fuzz tests. */
export const syncDecoders = { hello: parseHello, ops: (raw: unknown) => opsFrame.safeParse(raw), heads: headsFrame, done: doneFrame }
