import { randomBytes } from 'node:crypto'
import { applyOp, emptyState, type MembershipState, type Rejection } from './membership-state.js'
import type { OpType, VerifiedOp } from './membership-op.js'
import type { WorkspaceId } from './workspace-key.js'

/** Why an op in the log has no effect. */
export type LogRejection = Rejection | 'concurrent-with-removal'

/**
 * Ops that take rights away go first among concurrent ops, so a removal is applied before
 * anything the removed member did at the same time ("removal wins").
 */
const RESTRICTIVE: ReadonlySet<OpType> = new Set<OpType>(['remove', 'removeDevice', 'role', 'revokeInvite'])

export interface MembershipLog {
  readonly ws: WorkspaceId
  /**
   * Random per log in memory: arrival numbers (`arrival`) mean something only within one epoch,
   * so a resume cursor from before a restart is recognised as stale.
   */
  readonly epoch: string
  /** Ops that joined the DAG so far, in this epoch: the arrival number of the latest. */
  readonly arrivals: number
  /** Ops in the DAG (not counting ones still waiting for parents). */
  readonly size: number
  /**
   * Adds verified ops in any order. Ops whose parents are not here yet wait for them. Returns
   * the ids that joined the DAG now (including ones that were waiting).
   */
  add(ops: Iterable<VerifiedOp>): string[]
  has(id: string): boolean
  /** When the op joined the DAG, as a count of ops that joined before it in this epoch (from 1). */
  arrival(id: string): number | undefined
  /** Is this op here but waiting for a parent? */
  waits(id: string): boolean
  get(id: string): VerifiedOp | undefined
  /** Ops no other op names as a parent: what a new op's `parents` should be. */
  heads(): string[]
  /**
   * At most `max` heads, the latest in the order first chosen (sorted on return): what a new op
   * names when there are more heads than an op may name, and what a sync says it has. Naming
   * fewer heads is always safe: the rest stay heads, and a peer sends a few ops again at worst.
   */
  recentHeads(max: number): string[]
  /** Parent ids referenced by waiting ops that nobody has sent yet. */
  missing(): string[]
  /** The state after every op, in the deterministic order all peers compute. */
  state(): MembershipState
  /** Ops that were refused, and why. */
  rejections(): ReadonlyMap<string, LogRejection>
  /** Every op in the DAG in the deterministic order (topological). */
  ordered(): VerifiedOp[]
  /** Ops a peer whose heads are `theirHeads` lacks, parents before children. */
  since(theirHeads: readonly string[]): VerifiedOp[]
}

/** A binary min-heap of ops ordered by (restrictive first, then id). */
class ReadyQueue {
  private readonly items: VerifiedOp[] = []
  get size(): number { return this.items.length }

  private static less (a: VerifiedOp, b: VerifiedOp): boolean {
    const pa = RESTRICTIVE.has(a.body.type) ? 0 : 1
    const pb = RESTRICTIVE.has(b.body.type) ? 0 : 1
    return pa !== pb ? pa < pb : a.id < b.id
  }

  push(op: VerifiedOp): void {
    const items = this.items
    items.push(op)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = items[parent]
      if (p === undefined || !ReadyQueue.less(op, p)) break
      items[i] = p
      i = parent
    }
    items[i] = op
  }

  pop(): VerifiedOp | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let smallest = last
      let at = -1
      const left = items[l]
      const right = items[r]
      if (left !== undefined && ReadyQueue.less(left, smallest)) { smallest = left; at = l }
      if (right !== undefined && ReadyQueue.less(right, smallest)) { smallest = right; at = r }
      if (at < 0) break
      items[i] = smallest
      i = at
    }
    items[i] = last
    return top
  }
}

/**
 * The membership log: a DAG of signed ops (each names the heads its author had seen), turned
 * into one state by a deterministic linearization. Every peer holding the same set of ops
 * computes the same order and so the same members, whatever order the ops arrived in.
 *
 * Order: parents before children; among ops ready at the same time, restrictive ops first,
 * then by id (hash). Then a fixpoint: every op by a removed member that is concurrent with
 * its removal (not in the removal's past) is dropped, and the state recomputed, until stable.
 */
export function createMembershipLog(ws: WorkspaceId): MembershipLog {
  const ops = new Map<string, VerifiedOp>()
  const children = new Map<string, string[]>()
  const waiting = new Map<string, VerifiedOp>()
  const waitingOn = new Map<string, Set<string>>()
  const heads = new Set<string>()
  const arrived = new Map<string, number>()
  const epoch = randomBytes(8).toString('hex')
  let order: VerifiedOp[] = []
  let current: MembershipState = emptyState(ws)
  let rejected = new Map<string, LogRejection>()
  let dirty = false

  const ancestorsOf = (start: readonly string[]): Set<string> => {
    const seen = new Set<string>()
    const stack = [...start]
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
      if (seen.has(id)) continue
      const op = ops.get(id)
      if (op === undefined) continue
      seen.add(id)
      for (const p of op.parents) stack.push(p)
    }
    return seen
  }

  const linearize = (): VerifiedOp[] => {
    const remaining = new Map<string, number>()
    const ready = new ReadyQueue()
    for (const op of ops.values()) {
      remaining.set(op.id, op.parents.length)
      if (op.parents.length === 0) ready.push(op)
    }
    const out: VerifiedOp[] = []
    for (let op = ready.pop(); op !== undefined; op = ready.pop()) {
      out.push(op)
      for (const child of children.get(op.id) ?? []) {
        const left = (remaining.get(child) ?? 1) - 1
        remaining.set(child, left)
        const c = ops.get(child)
        if (left === 0 && c !== undefined) ready.push(c)
      }
    }
    return out
  }

  const replay = (excluded: ReadonlySet<string>): { state: MembershipState; rejected: Map<string, LogRejection>; removals: Array<{ op: VerifiedOp; devices: string[] }> } => {
    const state = emptyState(ws)
    const why = new Map<string, LogRejection>()
    const removals: Array<{ op: VerifiedOp; devices: string[] }> = []
    for (const op of order) {
      if (excluded.has(op.id)) { why.set(op.id, 'concurrent-with-removal'); continue }
      // A device taken away is treated like a removed member: what it wrote concurrently is dropped.
      const devices = op.body.type === 'remove' ? [...(state.members.get(op.body.userId)?.devices ?? [])] : op.body.type === 'removeDevice' ? [op.body.device] : []
      const rejection = applyOp(state, op)
      if (rejection !== null) why.set(op.id, rejection)
      else if (op.body.type === 'remove' || op.body.type === 'removeDevice') removals.push({ op, devices })
    }
    return { state, rejected: why, removals }
  }

  const recompute = (): void => {
    order = linearize()
    let excluded = new Set<string>()
    for (let round = 0; ; round++) {
      const result = replay(excluded)
      const next = new Set(excluded)
      for (const { op, devices } of result.removals) {
        if (devices.length === 0) continue
        const past = ancestorsOf([op.id])
        for (const candidate of order) {
          if (candidate.author !== 'root' && devices.includes(candidate.author) && !past.has(candidate.id)) next.add(candidate.id)
        }
      }
      // Each round only grows the excluded set, so this ends; the bound is a guard.
      if (next.size === excluded.size || round > ops.size) {
        current = result.state
        rejected = result.rejected
        break
      }
      excluded = next
    }
    dirty = false
  }

  const accept = (op: VerifiedOp): void => {
    // Fast path: an op on top of every head is concurrent with nothing; apply it to the state.
    const onTop = !dirty && op.parents.length === heads.size && op.parents.every((p) => heads.has(p)) && (op.parents.length > 0 || ops.size === 0)
    ops.set(op.id, op)
    arrived.set(op.id, arrived.size + 1)
    for (const p of op.parents) {
      heads.delete(p)
      const list = children.get(p)
      if (list === undefined) children.set(p, [op.id])
      else list.push(op.id)
    }
    heads.add(op.id)
    if (onTop) {
      order.push(op)
      const rejection = applyOp(current, op)
      if (rejection !== null) rejected.set(op.id, rejection)
    } else {
      dirty = true
    }
  }

  return {
    ws,
    epoch,
    get arrivals () { return arrived.size },
    get size () { return ops.size },
    add: (incoming) => {
      const added: string[] = []
      const ready: VerifiedOp[] = []
      for (const op of incoming) {
        if (op.ws !== ws || ops.has(op.id) || waiting.has(op.id)) continue
        const absent = op.parents.filter((p) => !ops.has(p))
        if (absent.length === 0) { ready.push(op); continue }
        waiting.set(op.id, op)
        for (const p of absent) {
          const set = waitingOn.get(p) ?? new Set<string>()
          set.add(op.id)
          waitingOn.set(p, set)
        }
      }
      for (let op = ready.shift(); op !== undefined; op = ready.shift()) {
        if (ops.has(op.id)) continue
        accept(op)
        added.push(op.id)
        for (const childId of waitingOn.get(op.id) ?? []) {
          const child = waiting.get(childId)
          if (child !== undefined && child.parents.every((p) => ops.has(p))) {
            waiting.delete(childId)
            ready.push(child)
          }
        }
        waitingOn.delete(op.id)
      }
      return added
    },
    has: (id) => ops.has(id),
    arrival: (id) => arrived.get(id),
    waits: (id) => waiting.has(id),
    get: (id) => ops.get(id),
    heads: () => [...heads].sort(),
    recentHeads: (max) => {
      if (heads.size <= max) return [...heads].sort()
      if (dirty) recompute()
      const chosen: string[] = []
      for (let i = order.length - 1; i >= 0 && chosen.length < max; i--) {
        const id = order[i]?.id
        if (id !== undefined && heads.has(id)) chosen.push(id)
      }
      return chosen.sort()
    },
    missing: () => [...waitingOn.keys()].filter((id) => !ops.has(id) && !waiting.has(id)),
    state: () => {
      if (dirty) recompute()
      return current
    },
    rejections: () => {
      if (dirty) recompute()
      return rejected
    },
    ordered: () => {
      if (dirty) recompute()
      return order
    },
    since: (theirHeads) => {
      if (dirty) recompute()
      const theyHave = ancestorsOf(theirHeads.filter((h) => ops.has(h)))
      return order.filter((op) => !theyHave.has(op.id))
    }
  }
}
