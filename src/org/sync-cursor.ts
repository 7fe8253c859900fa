import { z } from 'zod'
import { packOps, type PackedOps, type PackOptions } from './op-frames.js'
import type { MembershipLog } from '../identity/membership-log.js'
import type { VerifiedOp } from '../identity/membership-op.js'

/**
 * Where one exchange of a log's ops stopped: issued by the sender, handed back by the receiver
 * to resume. Heads alone cannot say where: a receiver that got part of a wide layer (300
 * concurrent profile ops) has more heads than it may name, and the ops in the past of the heads
 * it leaves out would come again, more of them than one exchange carries.
 *
 * `after` is the last op sent, in the sender's order; `seen` how many ops had joined the
 * sender's log then. Adding ops to a log never reorders the ops already there (a new op is
 * nobody's parent), so everything up to `after` was sent, except ops that joined later
 * (`arrival > seen`), which may sit anywhere in the order. A cursor of another epoch (the sender
 * restarted) is ignored, and the exchange falls back to heads.
 */
export interface SyncCursor {
  epoch: string
  after: string
  seen: number
}

export const syncCursorSchema = z.object({
  epoch: z.string().regex(/^[0-9a-f]{16}$/),
  after: z.string().regex(/^[0-9a-f]{64}$/),
  seen: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)
}).strict()

/** What a peer at `heads` lacks of `log`, in order; past `cursor` only, when the cursor is this log's. */
export function missingFor(log: MembershipLog, heads: readonly string[], cursor: SyncCursor | null): VerifiedOp[] {
  const missing = log.since(heads)
  if (cursor === null || cursor.epoch !== log.epoch || !log.has(cursor.after)) return missing
  const order = log.ordered()
  const sent = new Set<string>()
  for (const op of order) {
    sent.add(op.id)
    if (op.id === cursor.after) break
  }
  return missing.filter((op) => !sent.has(op.id) || (log.arrival(op.id) ?? 0) > cursor.seen)
}

/**
 * Packs what a peer at `heads` lacks (past `cursor`) within the exchange's budget, and the
 * cursor to resume from when the budget ran out.
 */
export function packMissing(log: MembershipLog, heads: readonly string[], cursor: SyncCursor | null, packing: PackOptions | undefined, spent = 0): PackedOps & { next: SyncCursor | null } {
  // Counted before the ops are listed: an op joining while they are packed is sent next time.
  const seen = log.arrivals
  const packed = packOps(missingFor(log, heads, cursor), packing, spent)
  // Nothing packed (the budget went to another workspace): resume from where the last cursor said.
  const next = !packed.more ? null : packed.lastId === null ? cursor : { epoch: log.epoch, after: packed.lastId, seen }
  return { ...packed, next }
}
