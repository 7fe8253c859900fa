import { z } from 'zod'
import { MAX_OP_BYTES, type SignedOp, type VerifiedOp } from '../identity/membership-op.js'

/**
 * Frame limit of the join and membership protocols. Every `ops` frame holds at most
 * `OP_BYTES_PER_FRAME` of op bytes, so it fits whatever the ops hold.
 */
export const MAX_OPS_FRAME = 1024 * 1024
/** Op bytes (op and signature) packed into one frame; an op is at most 96 KiB, so one always fits. */
export const OP_BYTES_PER_FRAME = 512 * 1024
/**
 * Op bytes one join reply or one sync exchange carries. A larger log goes in several exchanges,
 * each resuming from the heads the asker has by then, so no exchange holds the stream for long.
 */
export const OP_BYTES_PER_EXCHANGE = 4 * 1024 * 1024

/** Room for the CBOR around one op in a frame (map keys, byte-string headers). */
const OP_OVERHEAD = 24

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array)
/** A signed op as it travels: op bytes and signature, each bounded before it is decoded. */
export const signedOpSchema = z.object({
  bytes: bytes.refine((b) => b.byteLength <= MAX_OP_BYTES, 'op too large'),
  sig: bytes.refine((b) => b.byteLength <= 128, 'signature too large')
}).strict()
/** Ops in one frame: bounded by bytes (the frame limit); the count only rules out absurd frames. */
export const opListSchema = z.array(signedOpSchema).max(Math.ceil(OP_BYTES_PER_FRAME / 64))

export interface PackOptions {
  /** @default OP_BYTES_PER_FRAME */
  frameBytes?: number
  /** @default OP_BYTES_PER_EXCHANGE */
  budgetBytes?: number
}

export interface PackedOps {
  /** Ops per frame, in the order given (parents before children). */
  frames: SignedOp[][]
  /** Ops were left out: the budget ran out first. */
  more: boolean
  /** Op bytes packed. */
  bytes: number
  /** Id of the last op packed (null when none was). */
  lastId: string | null
}

export function opSize(op: SignedOp): number {
  return op.bytes.byteLength + op.sig.byteLength + OP_OVERHEAD
}

/**
 * Packs ops into frames by bytes, in order, until the exchange's budget is spent. What is sent
 * is always a prefix of the order, so the receiver holds every parent of what it got and can
 * ask for the rest by its heads.
 */
export function packOps(ops: readonly VerifiedOp[], options: PackOptions = {}, spent = 0): PackedOps {
  const frameBytes = options.frameBytes ?? OP_BYTES_PER_FRAME
  const budget = options.budgetBytes ?? OP_BYTES_PER_EXCHANGE
  const frames: SignedOp[][] = []
  let frame: SignedOp[] = []
  let inFrame = 0
  let total = 0
  let lastId: string | null = null
  for (const op of ops) {
    const size = opSize(op.signed)
    // The first op of an exchange always goes, so even a tiny budget makes progress.
    if (spent + total + size > budget && spent + total > 0) return { frames: close(frames, frame), more: true, bytes: total, lastId }
    if (inFrame + size > frameBytes && frame.length > 0) {
      frames.push(frame)
      frame = []
      inFrame = 0
    }
    frame.push(op.signed)
    inFrame += size
    total += size
    lastId = op.id
  }
  return { frames: close(frames, frame), more: false, bytes: total, lastId }
}

function close(frames: SignedOp[][], frame: SignedOp[]): SignedOp[][] {
  if (frame.length > 0) frames.push(frame)
  return frames
}
