import { EnclaveError } from '../errors.js'
import type { PeerIdString } from '../api/contract.js'
import type { Store, StoreBatch } from '../store/store.js'

export interface MailboxQuotaInit {
  /** Bytes of envelopes one member may have waiting at this mailbox. @default 256 MiB */
  perMemberBytes?: number
  /** Bytes of envelopes waiting at this mailbox in all. @default 4 GiB */
  totalBytes?: number
  /** A deposit not handed over after this long is dropped (its sender's direct copies still wait). @default 14 days */
  retentionMs?: number
}

export interface MailboxQuota {
  /**
   * Takes room for a deposit from `from` for `recipients`, staged in `batch`; throws `over-quota`
   * (nothing taken) when the depositor's share or the mailbox is full.
   */
  take(batch: StoreBatch, envKey: string, from: PeerIdString, bytes: number, recipients: PeerIdString[]): void
  /** `peer` has its copy, or its copy expired: once every recipient's has, the room is free again. Returns whether the deposit is done with. */
  handedOver(batch: StoreBatch, envKey: string, peer: PeerIdString): boolean
  /** Deposits older than the retention, forgotten in `batch`: their cipher log keys. */
  sweep(batch: StoreBatch, now: number): string[]
  /** Bytes waiting, for one depositor or in all. */
  usage(from?: PeerIdString): number
  readonly retentionMs: number
  start(): Promise<void>
}

interface Deposit { from: PeerIdString; bytes: number; at: number; left: PeerIdString[] }

/**
 * A mailbox's accounting: who left how many bytes here, and for whom, so one member (a guest
 * included) cannot fill another's mailbox, and nothing waits forever. Counted in memory, kept in
 * the store beside the envelopes (collection `mailboxDeposits`, keyed like the cipher log).
 */
export function createMailboxQuota(store: Store, init: MailboxQuotaInit = {}): MailboxQuota {
  const perMember = init.perMemberBytes ?? 256 * 1024 * 1024
  const total = init.totalBytes ?? 4 * 1024 * 1024 * 1024
  const retentionMs = init.retentionMs ?? 14 * 24 * 3600_000
  const collection = store.collection<Deposit>('mailboxDeposits')
  const deposits = new Map<string, Deposit>()
  const byMember = new Map<string, number>()
  let all = 0

  const add = (key: string, d: Deposit): void => {
    deposits.set(key, d)
    byMember.set(d.from, (byMember.get(d.from) ?? 0) + d.bytes)
    all += d.bytes
  }
  const forget = (batch: StoreBatch, key: string, d: Deposit): void => {
    deposits.delete(key)
    const left = (byMember.get(d.from) ?? 0) - d.bytes
    if (left <= 0) byMember.delete(d.from)
    else byMember.set(d.from, left)
    all -= d.bytes
    batch.del(collection, key)
  }

  return {
    retentionMs,
    take: (batch, envKey, from, bytes, recipients) => {
      if (deposits.has(envKey)) return
      if ((byMember.get(from) ?? 0) + bytes > perMember) throw new EnclaveError('over-quota', 'this member has too much waiting at the mailbox')
      if (all + bytes > total) throw new EnclaveError('over-quota', 'the mailbox is full')
      const d: Deposit = { from, bytes, at: Date.now(), left: [...new Set(recipients)] }
      add(envKey, d)
      batch.put(collection, envKey, d)
    },
    handedOver: (batch, envKey, peer) => {
      const d = deposits.get(envKey)
      if (d === undefined) return false
      d.left = d.left.filter((p) => p !== peer)
      if (d.left.length > 0) { batch.put(collection, envKey, d); return false }
      forget(batch, envKey, d)
      return true
    },
    sweep: (batch, now) => {
      const old: string[] = []
      for (const [key, d] of deposits) if (now - d.at > retentionMs) old.push(key)
      for (const key of old) { const d = deposits.get(key); if (d !== undefined) forget(batch, key, d) }
      return old
    },
    usage: (from) => (from === undefined ? all : byMember.get(from) ?? 0),
    start: async () => {
      for await (const [key, d] of collection.entries()) add(key, d)
    }
  }
}
