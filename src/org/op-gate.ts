import { isAdminRole, memberOfDevice, type MembershipState } from '../identity/membership-state.js'
import type { MembershipLog } from '../identity/membership-log.js'
import type { VerifiedOp } from '../identity/membership-op.js'
import type { ErrorCode } from '../api/contract.js'
import type { Logger } from '../logger.js'

/** Ops one non-admin device may add to the log per window: a profile edit now and then, a leave. */
export const MEMBER_OPS_PER_WINDOW = 24
export const QUOTA_WINDOW_MS = 24 * 3600_000
/**
 * Largest op a non-admin device may author. A full profile (picture by reference) with 64
 * parents is ~5 KiB; a member's op above this is an inline picture or padding.
 */
export const MAX_MEMBER_OP_BYTES = 8 * 1024

export interface OpGateInit {
  /** @default MEMBER_OPS_PER_WINDOW */
  opsPerWindow?: number
  /** @default QUOTA_WINDOW_MS */
  windowMs?: number
  /** @default MAX_MEMBER_OP_BYTES */
  maxMemberOpBytes?: number
  /** Bytes of held ops kept in memory per workspace; the oldest go first. @default 2 MiB */
  heldBytes?: number
  /** @default 512 */
  heldOps?: number
  /** Ids an admin's op named that are not here yet. @default 4096 */
  vouchedIds?: number
  now?: () => number
}

/** Why an op from a peer is held instead of stored. */
export type HoldReason = 'over-quota' | 'too-large' | 'not-allowed'

const CODES: Record<HoldReason, ErrorCode> = { 'over-quota': 'over-quota', 'too-large': 'too-large', 'not-allowed': 'unauthorized' }

export interface OpGate {
  /**
   * Sorts verified ops from a peer (in the order sent: parents first): `take` to store now;
   * `later`, ops whose author the log does not allow them yet (call again once `take` is added:
   * the same batch may add the author, or make them an admin). Ops over a quota or too large are
   * held at once, in memory and by op id: not stored, not served, not forwarded.
   */
  admit(ops: readonly VerifiedOp[]): { take: VerifiedOp[]; later: VerifiedOp[] }
  /** Holds what is still not allowed after everything else was added. */
  hold(ops: readonly VerifiedOp[]): void
  /**
   * Held ops the log takes now: their author became a member or admin, their window moved on,
   * or an admin's op names them. Call after adding, until empty.
   */
  release(): VerifiedOp[]
  /** Why peers would hold this op of this device's own, or null (and it counts against the quota). */
  claimOwn(op: VerifiedOp): HoldReason | null
  /** Ops held now. */
  readonly held: number
}

type Verdict = { trusted: true } | { trusted: false; reason: HoldReason | null }

/** What a member who is no admin may write, about themselves only. */
const MEMBER_OWN_OPS: ReadonlySet<string> = new Set(['profile', 'remove', 'addDevice', 'removeDevice'])

/**
 * One workspace's door for ops from peers (issue 13). Admins' ops always pass: a member's
 * quota never starves an add or a removal. A non-admin device may add only its own `profile`
 * and `remove` (leaving), each at most `maxMemberOpBytes`, and at most `opsPerWindow` per
 * window of this device's clock; other ops wait in a small held set.
 *
 * Peers may disagree for a while on which of a member's ops they hold (each counts what reached
 * it first), and an honest op may name one another device holds. So an op an admin's op names
 * (directly or through ops it names in turn) is vouched for and always taken, from the held set
 * or when it arrives: a removal never waits on a member's held op. A held op that no admin names
 * is taken once its author's window has room again.
 */
export function createOpGate(log: MembershipLog, logger: Logger, init: OpGateInit = {}): OpGate {
  const opsPerWindow = init.opsPerWindow ?? MEMBER_OPS_PER_WINDOW
  const windowMs = init.windowMs ?? QUOTA_WINDOW_MS
  const maxMemberOpBytes = init.maxMemberOpBytes ?? MAX_MEMBER_OP_BYTES
  const maxHeldBytes = init.heldBytes ?? 2 * 1024 * 1024
  const maxHeldOps = init.heldOps ?? 512
  const maxVouched = init.vouchedIds ?? 4096
  const now = init.now ?? Date.now
  /** Per author device: when its counted ops were taken (this device's clock, ms). */
  const taken = new Map<string, number[]>()
  const held = new Map<string, { op: VerifiedOp; reason: HoldReason }>()
  let heldBytes = 0
  const vouched = new Set<string>()

  const recent = (author: string): number[] => {
    const since = now() - windowMs
    const times = (taken.get(author) ?? []).filter((t) => t > since)
    if (times.length === 0) taken.delete(author)
    else taken.set(author, times)
    return times
  }
  const count = (author: string): void => { taken.set(author, [...recent(author), now()]) }

  const judge = (op: VerifiedOp, state: MembershipState): Verdict => {
    if (op.author === 'root' || vouched.has(op.id)) return { trusted: true }
    const author = memberOfDevice(state, op.author)
    if (author?.status !== 'active') return { trusted: false, reason: 'not-allowed' }
    if (isAdminRole(author.role)) return { trusted: true }
    const body = op.body
    if (!MEMBER_OWN_OPS.has(body.type) || !('userId' in body) || body.userId !== author.userId) return { trusted: false, reason: 'not-allowed' }
    if (op.signed.bytes.byteLength > maxMemberOpBytes) return { trusted: false, reason: 'too-large' }
    if (recent(op.author).length >= opsPerWindow) return { trusted: false, reason: 'over-quota' }
    return { trusted: false, reason: null }
  }

  const unhold = (id: string): void => {
    const h = held.get(id)
    if (h === undefined) return
    held.delete(id)
    heldBytes -= h.op.signed.bytes.byteLength
  }

  const hold = (op: VerifiedOp, reason: HoldReason): void => {
    if (held.has(op.id)) return
    const size = op.signed.bytes.byteLength
    if (size > maxHeldBytes) return
    logger.info('membership op held', { ws: log.ws, op: op.id, author: op.author, type: op.body.type, bytes: size, code: CODES[reason], reason })
    held.set(op.id, { op, reason })
    heldBytes += size
    for (const oldest of held.keys()) {
      if (held.size <= maxHeldOps && heldBytes <= maxHeldBytes) break
      unhold(oldest)
    }
  }

  const vouch = (id: string): void => {
    vouched.add(id)
    if (vouched.size <= maxVouched) return
    const oldest = vouched.values().next()
    if (oldest.done !== true) vouched.delete(oldest.value)
  }

  /** Takes `op`; a trusted one vouches for its missing parents, taking those held at once. */
  const take = (op: VerifiedOp, trusted: boolean, into: VerifiedOp[], ids: Set<string>): void => {
    const queue = [{ op, trusted }]
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      into.push(next.op)
      ids.add(next.op.id)
      vouched.delete(next.op.id)
      if (!next.trusted) continue
      for (const parent of next.op.parents) {
        if (log.has(parent) || log.waits(parent) || ids.has(parent)) continue
        const h = held.get(parent)
        if (h === undefined) { vouch(parent); continue }
        unhold(parent)
        queue.push({ op: h.op, trusted: true })
      }
    }
  }

  return {
    admit: (ops) => {
      const state = log.state()
      const out: VerifiedOp[] = []
      const later: VerifiedOp[] = []
      const ids = new Set<string>()
      for (const op of ops) {
        if (ids.has(op.id) || log.has(op.id) || log.waits(op.id)) continue
        const verdict = judge(op, state)
        if (verdict.trusted) { unhold(op.id); take(op, true, out, ids); continue }
        if (verdict.reason === 'not-allowed') { later.push(op); continue }
        if (verdict.reason !== null) { hold(op, verdict.reason); continue }
        count(op.author)
        unhold(op.id)
        take(op, false, out, ids)
      }
      // An admin's op later in the batch may have vouched for one set aside.
      return { take: out, later: later.filter((op) => !ids.has(op.id)) }
    },
    hold: (ops) => { for (const op of ops) if (!log.has(op.id) && !log.waits(op.id)) hold(op, 'not-allowed') },
    release: () => {
      if (held.size === 0) return []
      const state = log.state()
      const out: VerifiedOp[] = []
      const ids = new Set<string>()
      for (const [id, h] of [...held]) {
        if (!held.has(id)) continue
        if (log.has(id) || log.waits(id)) { unhold(id); continue }
        const verdict = judge(h.op, state)
        if (!verdict.trusted && verdict.reason !== null) continue
        if (!verdict.trusted) count(h.op.author)
        unhold(id)
        take(h.op, verdict.trusted, out, ids)
      }
      return out
    },
    claimOwn: (op) => {
      const verdict = judge(op, log.state())
      if (verdict.trusted) return null
      if (verdict.reason === null) count(op.author)
      return verdict.reason
    },
    get held () { return held.size }
  }
}
