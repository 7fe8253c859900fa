import { errorMessage } from '../errors.js'
import { parseDeviceText } from '../ids.js'
import type { ChosenPresence, PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Collection } from '../store/store.js'

/**
 * Why a peer is kept. `member`: it proved membership of a workspace of this device (after
 * `peer:ready`). `dialled`: this device's user or configuration dialled it on purpose
 * (`peers.dial`, `--peer`, a configured or workspace relay). `conversation`: this device has a
 * direct conversation with it (a message went one way or the other), so its name is still
 * known when it is away. Nobody else is written down.
 */
export type KeptBecause = 'member' | 'dialled' | 'conversation'

export interface PeerRecord {
  addresses: string[]
  lastSeen: number | null
  /** Absent in records of earlier versions, which kept every peer identify reported: judged again on load. */
  kept?: KeptBecause
  /** When the peer was last kept on purpose (dialled, proved membership); expiry counts from this or `lastSeen`. */
  keptAt?: number
  /** What the peer calls itself; set by whoever learns it (the profile exchange). */
  displayName?: string | null
  /** What the peer last said it is (away, do not disturb) while connected. */
  presence?: ChosenPresence
}

export interface PeerRecordsInit {
  /** Records kept at most; the peer seen longest ago makes room. @default 5,000 */
  maxRecords?: number
  /** Addresses kept per peer, newest first. @default 16 */
  maxAddresses?: number
  /** A record neither seen nor kept on purpose for this long is dropped and never redialled. @default 30 days */
  expireAfterMs?: number
  now?: () => number
}

export interface PeerRecords {
  get(peer: PeerIdString): PeerRecord | undefined
  peers(): PeerIdString[]
  /** Keeps a peer (or refreshes why it is kept), with `addresses` first. */
  keep(peer: PeerIdString, why: KeptBecause, addresses: string[], seen?: boolean): Promise<void>
  /** Updates a kept peer (new addresses, seen now, its profile); does nothing for anyone else. */
  update(peer: PeerIdString, change: { addresses?: string[]; seen?: boolean; displayName?: string | null; presence?: ChosenPresence }): Promise<void>
  forget(peer: PeerIdString): Promise<void>
  expired(peer: PeerIdString): boolean
  /** Drops expired records of peers `isConnected` says are not connected; returns them. */
  sweep(isConnected: (peer: PeerIdString) => boolean): Promise<PeerIdString[]>
}

const DAY_MS = 24 * 3600_000

/**
 * The peer book's memory, persisted in the store collection `peers`: only peers kept for a
 * reason (`KeptBecause`), capped in number and addresses, expiring when not seen for a month.
 * `judge` decides on load what an old record (no `kept`) is, or null to drop it.
 */
export async function loadPeerRecords(collection: Collection<PeerRecord>, log: Logger, judge: (peer: PeerIdString) => KeptBecause | null, init: PeerRecordsInit = {}): Promise<PeerRecords> {
  const maxRecords = init.maxRecords ?? 5_000
  const maxAddresses = init.maxAddresses ?? 16
  const expireAfterMs = init.expireAfterMs ?? 30 * DAY_MS
  const now = init.now ?? Date.now
  const records = new Map<PeerIdString, PeerRecord>()

  const freshness = (r: PeerRecord): number => Math.max(r.lastSeen ?? 0, r.keptAt ?? 0)
  const isExpired = (r: PeerRecord): boolean => freshness(r) < now() - expireAfterMs
  const write = async (peer: PeerIdString, record: PeerRecord): Promise<void> => {
    records.set(peer, record)
    await collection.put(peer, record).catch((err: unknown) => { log.warn('could not save peer', { peer, error: errorMessage(err) }) })
  }
  const deleteKey = async (key: string): Promise<void> => {
    await collection.del(key).catch((err: unknown) => { log.warn('could not forget peer', { peer: key, error: errorMessage(err) }) })
  }
  const drop = async (peer: PeerIdString): Promise<void> => {
    records.delete(peer)
    await deleteKey(peer)
  }
  const capAddresses = (addresses: string[]): string[] => [...new Set(addresses)].slice(0, maxAddresses)

  /** Makes room for one more: the peer seen longest ago goes. */
  const makeRoom = async (): Promise<void> => {
    while (records.size >= maxRecords) {
      let oldest: PeerIdString | undefined
      for (const [peer, r] of records) if (oldest === undefined || freshness(r) < freshness(records.get(oldest) ?? r)) oldest = peer
      if (oldest === undefined) return
      await drop(oldest)
    }
  }

  let dropped = 0
  for await (const [id, stored] of collection.entries()) {
    let peer: PeerIdString
    try {
      peer = parseDeviceText(id)
    } catch {
      await deleteKey(id)
      dropped++
      continue
    }
    const kept = stored.kept ?? judge(peer)
    if (kept === null || isExpired(stored)) { await deleteKey(id); dropped++; continue }
    const record: PeerRecord = { ...stored, kept, addresses: capAddresses(stored.addresses) }
    // Old records get a reason and a date, so they age like new ones from now on.
    if (stored.kept === undefined) await write(peer, { ...record, keptAt: stored.lastSeen ?? now() })
    else records.set(peer, record)
  }
  if (records.size > maxRecords) {
    const newestFirst = [...records].sort(([, a], [, b]) => freshness(b) - freshness(a))
    for (const [peer] of newestFirst.slice(maxRecords)) { await drop(peer); dropped++ }
  }
  if (dropped > 0) log.info('forgot peers that were not kept for a reason or expired', { dropped, kept: records.size })

  return {
    get: (peer) => records.get(peer),
    peers: () => [...records.keys()],
    keep: async (peer, why, addresses, seen = false) => {
      const old = records.get(peer)
      if (old === undefined) await makeRoom()
      // Dialled on purpose outranks a membership that may end: a configured peer stays configured.
      const kept: KeptBecause = old?.kept === 'dialled' ? 'dialled' : why
      await write(peer, { ...old, kept, keptAt: now(), addresses: capAddresses([...addresses, ...(old?.addresses ?? [])]), lastSeen: seen ? now() : old?.lastSeen ?? null })
    },
    update: async (peer, change) => {
      const old = records.get(peer)
      if (old === undefined) return
      const next: PeerRecord = { ...old }
      if (change.addresses !== undefined) next.addresses = capAddresses([...change.addresses, ...old.addresses])
      if (change.seen === true) next.lastSeen = now()
      if (change.displayName !== undefined) next.displayName = change.displayName
      if (change.presence !== undefined) next.presence = change.presence
      await write(peer, next)
    },
    forget: drop,
    expired: (peer) => {
      const r = records.get(peer)
      return r === undefined || isExpired(r)
    },
    sweep: async (isConnected) => {
      const gone = [...records].filter(([peer, r]) => isExpired(r) && !isConnected(peer)).map(([peer]) => peer)
      for (const peer of gone) await drop(peer)
      return gone
    }
  }
}
