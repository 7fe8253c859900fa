import { createMembershipLog, type MembershipLog } from '../identity/membership-log.js'
import { readStoredOp, verifyOp, type SignedOp, type VerifiedOp } from '../identity/membership-op.js'
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
  /** Verifies and stores ops from anywhere; returns the ids new to the log. */
  receive(ws: string, signed: SignedOp[]): Promise<string[]>
  /** Stores ops this device made (already verified). */
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
export async function createWorkspaceRegistry(store: Store, log: Logger): Promise<WorkspaceRegistry> {
  const records = store.collection<WorkspaceRecord>('workspaces')
  const opsOnDisk = store.collection<StoredOp>('membershipOps')
  const workspaces = new Map<string, Workspace>()

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

  const append = async (ws: string, ops: VerifiedOp[]): Promise<string[]> => {
    const w = workspaces.get(ws)
    if (w === undefined) return []
    const added = w.log.add(ops)
    const fresh = new Set(added)
    await persist(ws, ops.filter((op) => fresh.has(op.id)))
    return added
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
        try {
          verified.push(await verifyOp(s, w.record.ws))
        } catch (err) {
          log.warn('membership op refused', { ws, error: String(err) })
        }
      }
      return append(ws, verified)
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
