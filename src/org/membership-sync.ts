import { z } from 'zod'
import { EnclaveError, errorMessage } from '../errors.js'
import { verifyCertificate } from '../identity/certificate.js'
import { memberOfDevice } from '../identity/membership-state.js'
import { frameReader, writeFrames } from '../net/frame-io.js'
import { certificateOf, type Workspace, type WorkspaceRegistry } from './workspace-registry.js'
import type { VerifiedOp } from '../identity/membership-op.js'
import type { Logger } from '../logger.js'
import type { Stream } from '@libp2p/interface'

/** Membership log replication; runs on every new connection before any other Enclave protocol. */
export const MEMBERSHIP_PROTOCOL = '/enclave/membership/1.0.0'

const MAX_FRAME = 1024 * 1024
/** Ops per frame: far below the frame limit even with avatars in profiles. */
const OPS_PER_FRAME = 200

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array)
const signed = z.object({ bytes, sig: bytes }).strict()
const HEADS = z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(256)
const hello = z.object({
  v: z.literal(1),
  t: z.literal('hello'),
  workspaces: z.array(z.object({ ws: z.string().max(40), heads: HEADS, cert: signed.nullable() }).strict()).max(64)
}).strict()
const opsFrame = z.object({ v: z.literal(1), t: z.literal('ops'), ws: z.string().max(40), ops: z.array(signed).max(OPS_PER_FRAME) }).strict()
const headsFrame = z.object({ v: z.literal(1), t: z.literal('heads'), workspaces: z.array(z.object({ ws: z.string().max(40), heads: HEADS }).strict()).max(64) }).strict()
const doneFrame = z.object({ v: z.literal(1), t: z.literal('done') }).strict()

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
    frames.push({ v: 1, t: 'ops', ws, ops: ops.slice(i, i + OPS_PER_FRAME).map((op) => op.signed) })
  }
  return frames
}

/** Reads `ops` frames, storing each batch as it comes; returns the first frame that is not one. */
async function receiveOps(reader: { next(): Promise<unknown> }, components: SyncComponents, allowed: ReadonlySet<string>): Promise<unknown> {
  for (;;) {
    const raw = await reader.next()
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
export async function syncWith(stream: Stream, workspaces: Workspace[], components: SyncComponents): Promise<void> {
  const reader = frameReader(stream, MAX_FRAME)
  await writeFrames(stream, [{
    v: 1,
    t: 'hello',
    workspaces: workspaces.map((w) => ({ ws: w.record.ws, heads: w.log.heads(), cert: certificateOf(w.record) }))
  }])
  const shared = new Set<string>(workspaces.map((w) => w.record.ws))
  const closing = headsFrame.safeParse(await receiveOps(reader, components, shared))
  if (!closing.success) throw new EnclaveError('bad-frame', 'expected the peer\'s heads')
  const frames: unknown[] = []
  for (const { ws, heads } of closing.data.workspaces) {
    const w = components.registry.get(ws)
    if (w !== undefined && shared.has(ws)) frames.push(...opFrames(w.record.ws, w.log.since(heads)))
  }
  frames.push({ v: 1, t: 'done' })
  await writeFrames(stream, frames)
  await stream.close()
}

/**
 * Responder side. Answers only for workspaces the initiator is in, by this device's log or by
 * a certificate from an admin this device knows; anyone else gets `not-member`.
 */
export async function serveSync(stream: Stream, remote: string, components: SyncComponents): Promise<void> {
  try {
    const reader = frameReader(stream, MAX_FRAME)
    const parsed = hello.safeParse(await reader.next())
    if (!parsed.success) throw new EnclaveError('bad-frame', 'malformed membership hello')
    const shared = new Set<string>()
    const frames: unknown[] = []
    const heads: Array<{ ws: string; heads: string[] }> = []
    for (const entry of parsed.data.workspaces) {
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
    if (shared.size === 0) throw new EnclaveError('not-member', 'not a member of any workspace here')
    frames.push({ v: 1, t: 'heads', workspaces: heads })
    await writeFrames(stream, frames)
    const end = doneFrame.safeParse(await receiveOps(reader, components, shared))
    if (!end.success) throw new EnclaveError('bad-frame', 'expected done')
    await stream.close()
  } catch (err) {
    const code = err instanceof EnclaveError ? err.code : 'internal'
    // Meeting a device of no shared workspace is ordinary; malformed frames are not.
    const level = code === 'not-member' ? 'debug' : 'warn'
    components.log[level]('membership sync refused', { peer: remote, code, error: errorMessage(err) })
    stream.abort(err instanceof Error ? err : new Error(errorMessage(err)))
  }
}
