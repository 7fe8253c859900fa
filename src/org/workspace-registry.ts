import { createMembershipLog, type MembershipLog } from '../identity/membership-log.js'
import { opId, readStoredOp, verifyOp, type SignedOp, type VerifiedOp } from '../identity/membership-op.js'
import { EnclaveError } from '../errors.js'
import { createOpGate, type HoldReason, type OpGate, type OpGateInit } from './op-gate.js'
import type { SignedCertificate } from '../identity/certificate.js'
import type { UserId, WorkspaceId } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'

/** What this device keeps about a workspace it belongs to. */
export interface WorkspaceRecord {
  ws: WorkspaceId
  /** This device's user in the workspace. */
  userId: UserId
  joinedAt: number
  /** This device's latest certificate, base64 parts. */
  certificate: { bytes: string; sig: string } | null
}

interface StoredOp { bytes: string; sig: string }

export interface Workspace {
  record: WorkspaceRecord
  log: MembershipLog
}

export interface WorkspaceRegistry {
  list(): Workspace[]
  get(ws: string): Workspace | undefined
  /** Starts keeping a workspace (after create or join) with its first ops. */
  adopt(record: WorkspaceRecord, ops: VerifiedOp[]): Promise<Workspace>
  /**
   * Verifies ops from a peer and stores those the workspace's op gate admits (per-author quotas;
   * src/org/op-gate.ts); returns the ids new to the log.
   */
  receive(ws: string, signed: SignedOp[]): Promise<string[]>
  /**
   * Stores ops this device made (already verified). Throws `over-quota`, `too-large` or
   * `unauthorized` for an op other members' gates would hold, and stores nothing then.
   */
  append(ws: string, ops: VerifiedOp[]): Promise<string[]>
  setCertificate(ws: string, cert: SignedCertificate): Promise<void>
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
const bytesOf = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'))

/**
 * Every workspace this device belongs to, its membership log in memory and its ops on disk.
 * Ops from peers pass the one verifier before anything else sees them; a bad op is dropped
 * alone, with a log line, and the rest of a batch still counts.
 */
const OWN_HOLD_CODES: Record<HoldReason, 'over-quota' | 'too-large' | 'unauthorized'> = { 'over-quota': 'over-quota', 'too-large': 'too-large', 'not-allowed': 'unauthorized' }
const OWN_HOLD_MESSAGES: Record<HoldReason, string> = {
  'over-quota': 'this device changed the workspace too often today; try again later',
  'too-large': 'that change is too large for a member to make',
  'not-allowed': 'only admins can do that'
}

/** Rounds of judging one batch of ops from a peer; see `receive`. */
const MAX_ADMIT_ROUNDS = 8

export interface WorkspaceRegistryInit {
  /** Quotas on ops from peers (tests shrink them). */
  gate?: OpGateInit
}

export async function createWorkspaceRegistry(store: Store, log: Logger, init: WorkspaceRegistryInit = {}): Promise<WorkspaceRegistry> {
  const records = store.collection<WorkspaceRecord>('workspaces')
  const opsOnDisk = store.collection<StoredOp>('membershipOps')
  const workspaces = new Map<string, Workspace>()
  const gates = new Map<string, OpGate>()
  const gateOf = (w: Workspace): OpGate => {
    let gate = gates.get(w.record.ws)
    if (gate === undefined) {
      gate = createOpGate(w.log, log, init.gate)
      gates.set(w.record.ws, gate)
    }
    return gate
  }

  for await (const [, record] of records.entries()) {
    const membership = createMembershipLog(record.ws)
    const loaded: VerifiedOp[] = []
    for await (const [key, stored] of opsOnDisk.entries({ gt: `${record.ws}!`, lt: `${record.ws}!~` })) {
      try {
        loaded.push(await readStoredOp({ bytes: bytesOf(stored.bytes), sig: bytesOf(stored.sig) }, record.ws))
      } catch (err) {
        log.error('stored membership op is damaged; ignoring it', { key, error: String(err) })
      }
    }
    membership.add(loaded)
    workspaces.set(record.ws, { record, log: membership })
  }

  const persist = async (ws: string, ops: VerifiedOp[]): Promise<void> => {
    const batch = store.batch()
    for (const op of ops) batch.put(opsOnDisk, `${ws}!${op.id}`, { bytes: b64(op.signed.bytes), sig: b64(op.signed.sig) })
    await batch.write()
  }

  /** Adds ops to the log and stores every op that joined it, those that waited for a parent included. */
  const keep = async (w: Workspace, ops: VerifiedOp[]): Promise<string[]> => {
    const added = w.log.add(ops)
    await persist(w.record.ws, added.flatMap((id) => w.log.get(id) ?? []))
    return added
  }

  const append = async (ws: string, ops: VerifiedOp[]): Promise<string[]> => {
    const w = workspaces.get(ws)
    if (w === undefined) return []
    const gate = gateOf(w)
    for (const op of ops) {
      const held = gate.claimOwn(op)
      if (held !== null) throw new EnclaveError(OWN_HOLD_CODES[held], OWN_HOLD_MESSAGES[held])
    }
    return keep(w, ops)
  }

  return {
    list: () => [...workspaces.values()],
    get: (ws) => workspaces.get(ws),
    adopt: async (record, ops) => {
      const membership = createMembershipLog(record.ws)
      membership.add(ops)
      const w = { record, log: membership }
      workspaces.set(record.ws, w)
      await persist(record.ws, ops)
      await records.put(record.ws, record)
      return w
    },
    receive: async (ws, signed) => {
      const w = workspaces.get(ws)
      if (w === undefined) return []
      const verified: VerifiedOp[] = []
      for (const s of signed) {
        // A resumed or repeated sync sends some ops again: known ones cost a hash, not a signature check.
        const id = opId(s.bytes)
        if (w.log.has(id) || w.log.waits(id)) continue
        try {
          verified.push(await verifyOp(s, w.record.ws))
        } catch (err) {
          log.warn('membership op refused', { ws, code: err instanceof EnclaveError ? err.code : 'internal', error: String(err) })
        }
      }
      const gate = gateOf(w)
      const added: string[] = []
      // Ops an earlier op of the same batch allows (the owner's adds after genesis, a member's
      // profile after their redeem) are judged again once those are in; authority is a few
      // levels deep (root, owner, admins, members), so this ends in a few rounds.
      let pending: readonly VerifiedOp[] = verified
      for (let round = 0; round < MAX_ADMIT_ROUNDS && pending.length > 0; round++) {
        const { take, later } = gate.admit(pending)
        added.push(...await keep(w, take))
        pending = later
        if (take.length === 0) break
      }
      gate.hold(pending)
      for (let released = gate.release(); released.length > 0; released = gate.release()) added.push(...await keep(w, released))
      return added
    },
    append,
    setCertificate: async (ws, cert) => {
      const w = workspaces.get(ws)
      if (w === undefined) return
      w.record = { ...w.record, certificate: { bytes: b64(cert.bytes), sig: b64(cert.sig) } }
      await records.put(w.record.ws, w.record)
    }
  }
}

export function certificateOf(record: WorkspaceRecord): SignedCertificate | null {
  return record.certificate === null ? null : { bytes: bytesOf(record.certificate.bytes), sig: bytesOf(record.certificate.sig) }
}
